import { Button } from 'react-aria-components';

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
