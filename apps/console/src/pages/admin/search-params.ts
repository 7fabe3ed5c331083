import { useCallback } from 'react';
import { type NavigateOptions, useSearchParams } from 'react-router';

/** Pages of 20 rows, as the API's default. */
export const PAGE_SIZE = 20;

/** The row offset a URL asks for (a hand-typed `?offset=` that is not a whole number is the first page). */
export function offsetOf(params: URLSearchParams): number {
  const n = Number(params.get('offset') ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * `params` with `changes` applied (an empty value removes the parameter). Any change of filter
 * goes back to the first page, unless it is a change of page itself.
 */
export function withParams(params: URLSearchParams, changes: Record<string, string | undefined>): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    if (value) next.set(key, value);
    else next.delete(key);
  }
  if (!('offset' in changes)) next.delete('offset');
  return next;
}

/**
 * The page's filters in the URL, and a way to change some of them. Changes apply to the address as
 * it is when they are made (not as it was at the last render), so two quick changes (a search
 * debounced while a role is picked) never undo each other.
 */
export function useUrlFilters(): [URLSearchParams, (changes: Record<string, string | undefined>, options?: NavigateOptions) => void] {
  const [params, setParams] = useSearchParams();
  const update = useCallback(
    (changes: Record<string, string | undefined>, options?: NavigateOptions) =>
      setParams(withParams(new URLSearchParams(window.location.search), changes), options),
    [setParams],
  );
  return [params, update];
}
