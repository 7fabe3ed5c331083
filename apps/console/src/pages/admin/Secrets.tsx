import { useRef, useState } from 'react';
import { Button, FieldError, Input, Label, Text, TextField, ToggleButton } from 'react-aria-components';

/** The API's password policy (libs/auth/src/users/dto/password.ts). */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** 24 characters from 18 random bytes (144 bits), URL-safe so it survives being pasted anywhere. */
export function generatePassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

type CopyState = 'idle' | 'copied' | 'manual';

/**
 * Copies `value` to the clipboard. The value only passes through: it is not kept anywhere. Where
 * the Clipboard API is unavailable (a page not served over HTTPS or from localhost) or refused,
 * `onManual` selects the text instead and the person is told to copy it themselves.
 */
export function CopyButton({ value, what, onManual }: { value: string; what: string; onManual?: () => void }) {
  const [state, setState] = useState<CopyState>('idle');
  return (
    <>
      <Button
        className="button"
        onPress={() => {
          const copy = typeof navigator.clipboard?.writeText === 'function' ? navigator.clipboard.writeText(value) : Promise.reject();
          copy.then(
            () => setState('copied'),
            () => {
              onManual?.();
              setState('manual');
            },
          );
        }}
      >
        Copy<span className="visually-hidden"> {what}</span>
      </Button>
      <span role="status" className="admin-copy-status">
        {state === 'copied' ? `Copied ${what}` : state === 'manual' ? 'Selected: press Ctrl+C (⌘C) to copy' : ''}
      </span>
    </>
  );
}

/** A read-only value with a copy button (a new key's secrets, shown once). */
export function SecretField({ label, what, value }: { label: string; what: string; value: string }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <TextField className="field" value={value} isReadOnly>
      <Label>{label}</Label>
      <div className="admin-inline">
        <Input ref={input} className="admin-mono" spellCheck={false} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton value={value} what={what} onManual={() => input.current?.select()} />
      </div>
    </TextField>
  );
}

/** A new password, typed or generated, shown on demand, within the API's policy. */
export function PasswordField({
  label,
  value,
  onChange,
  autoFocus,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  autoFocus?: boolean;
}) {
  const [shown, setShown] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <TextField
      className="field"
      type={shown ? 'text' : 'password'}
      isRequired
      minLength={PASSWORD_MIN_LENGTH}
      maxLength={PASSWORD_MAX_LENGTH}
      autoComplete="new-password"
      value={value}
      onChange={onChange}
      autoFocus={autoFocus}
    >
      <Label>{label}</Label>
      <div className="admin-inline">
        <Input ref={input} className="admin-mono" spellCheck={false} />
        <Button
          className="button"
          onPress={() => {
            onChange(generatePassword());
            setShown(true);
          }}
        >
          Generate
        </Button>
        <ToggleButton className="button" isSelected={shown} onChange={setShown}>
          Show
        </ToggleButton>
        {value && (
          <CopyButton
            value={value}
            what="the password"
            onManual={() => {
              setShown(true);
              setTimeout(() => input.current?.select());
            }}
          />
        )}
      </div>
      <Text slot="description" className="muted small">
        At least {PASSWORD_MIN_LENGTH} characters. Hand it over through a safe channel.
      </Text>
      <FieldError />
    </TextField>
  );
}
