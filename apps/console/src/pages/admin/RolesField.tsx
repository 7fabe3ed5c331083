import { Checkbox, CheckboxGroup, FieldError, Label, Text } from 'react-aria-components';
import type { Role } from '../../session';

/** Every role, least first (README "Roles"). */
export const ROLES: readonly Role[] = ['consumer', 'ml-engineer', 'admin'];

export function isRole(value: string | null): value is Role {
  return value !== null && (ROLES as readonly string[]).includes(value);
}

/** A box that shows a react-aria Checkbox's state (the input itself is visually hidden). */
export function CheckMark({ isSelected }: { isSelected: boolean }) {
  return (
    <span className="admin-checkmark" aria-hidden="true">
      {isSelected ? '✓' : ''}
    </span>
  );
}

/** The roles a user holds: at least one. */
export function RolesField({ value, onChange, autoFocus }: { value: Role[]; onChange: (roles: Role[]) => void; autoFocus?: boolean }) {
  return (
    <CheckboxGroup className="field admin-roles" value={value} onChange={(v) => onChange(v.filter(isRole))} isRequired>
      <Label>Roles</Label>
      <div className="admin-inline">
        {ROLES.map((r, i) => (
          <Checkbox key={r} value={r} className="admin-checkbox" autoFocus={autoFocus && i === 0}>
            {({ isSelected }) => (
              <>
                <CheckMark isSelected={isSelected} />
                {r}
              </>
            )}
          </Checkbox>
        ))}
      </div>
      <Text slot="description" className="muted small">
        consumer: read models and predict · ml-engineer: also models, versions and training · admin: everything
      </Text>
      <FieldError>Choose at least one role.</FieldError>
    </CheckboxGroup>
  );
}

export function RoleBadges({ roles }: { roles: readonly Role[] }) {
  return (
    <ul className="tags" aria-label="Roles">
      {roles.map((r) => (
        <li key={r} className={`badge admin-role admin-role-${r}`}>
          {r}
        </li>
      ))}
    </ul>
  );
}
