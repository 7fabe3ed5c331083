import { isModelGateError } from '@modelgate/sdk';
import type { ReactNode } from 'react';
import { Button, FieldError, Label, ListBox, ListBoxItem, Popover, Select, SelectValue, Text } from 'react-aria-components';

/** What a person reads when a call fails: the problem's `detail` (and the request id to quote). */
export function problemMessage(error: unknown): string {
  if (isModelGateError(error)) {
    if (error.code === 'NETWORK_ERROR') return 'The server could not be reached. Check your connection and try again.';
    return error.requestId ? `${error.detail} (request ${error.requestId})` : error.detail;
  }
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNotice({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong>
      <p>{problemMessage(error)}</p>
    </div>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {label}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function StageBadge({ stage }: { stage: string }) {
  return <span className={`badge badge-${stage}`}>{stage}</span>;
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** A form's Cancel and submit buttons; the submit button says what is happening while `pending`. */
export function FormActions(props: {
  onCancel: () => void;
  submit: string;
  pendingLabel: string;
  pending: boolean;
  /** The submit button is disabled (nothing to send yet). */
  disabled?: boolean;
  /** Cancel is disabled while pending (an upload under way). */
  holdCancel?: boolean;
  danger?: boolean;
}) {
  return (
    <div className="actions">
      <Button className="button" onPress={props.onCancel} isDisabled={props.holdCancel && props.pending}>
        Cancel
      </Button>
      <Button
        type="submit"
        className={`button ${props.danger ? 'button-danger' : 'button-primary'}`}
        isDisabled={props.pending || props.disabled}
      >
        {props.pending ? props.pendingLabel : props.submit}
      </Button>
    </div>
  );
}

/** Previous / next over a collection's `page` (limit, offset, total). */
export function Pager({
  label,
  offset,
  limit,
  total,
  onOffset,
}: {
  label: string;
  offset: number;
  limit: number;
  total: number;
  onOffset: (offset: number) => void;
}) {
  if (total <= limit && offset === 0) return null;
  return (
    <nav className="pager" aria-label={label}>
      <Button className="button" isDisabled={offset === 0} onPress={() => onOffset(Math.max(0, offset - limit))}>
        Previous
      </Button>
      <span aria-live="polite">
        {total === 0 || offset >= total ? 0 : offset + 1}–{Math.min(offset + limit, total)} of {total}
      </span>
      <Button className="button" isDisabled={offset + limit >= total} onPress={() => onOffset(offset + limit)}>
        Next
      </Button>
    </nav>
  );
}

/** A select of plain items (react-aria), controlled by key; an item's `detail` shows in the list only. */
export function Picker(props: {
  label: string;
  value: string | null;
  onChange: (key: string | null) => void;
  items: { id: string; label: string; detail?: string }[];
  name?: string;
  isRequired?: boolean;
  description?: string;
  validate?: () => string | null;
  className?: string;
  labelClassName?: string;
}) {
  return (
    <Select
      className={props.className ?? 'field'}
      name={props.name}
      isRequired={props.isRequired}
      value={props.value}
      onChange={(k) => props.onChange(k === null ? null : String(k))}
      validate={props.validate}
    >
      <Label className={props.labelClassName}>{props.label}</Label>
      <Button className="picker-button">
        {/* The chosen item's name only (its detail is for the list). */}
        <SelectValue>{({ isPlaceholder, selectedText, defaultChildren }) => (isPlaceholder ? defaultChildren : selectedText)}</SelectValue>
        <span aria-hidden="true">▾</span>
      </Button>
      {props.description && (
        <Text slot="description" className="hint">
          {props.description}
        </Text>
      )}
      <FieldError />
      <Popover className="picker-popover">
        <ListBox className="picker-list" items={props.items}>
          {(item) => (
            <ListBoxItem className="picker-item" id={item.id} textValue={item.label}>
              <span>{item.label}</span>
              {item.detail && <span className="muted small">{item.detail}</span>}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </Select>
  );
}
