/**
 * The list's filters (status and type, each a comma list the API understands) and the page's address:
 * filters and `?ref=` live in the URL, so a reload or a shared link shows the same thing.
 */
import type { ActionView } from "../../actions/view";
import { ui } from "./shell";

export const isFiltered = () => !!(ui.status.value || ui.type.value);

/** Whether an action belongs in the list under the current filters. */
export function matches(v: ActionView): boolean {
  const statuses = ui.status.value;
  const types = ui.type.value;
  return (
    (!statuses || statuses.split(",").includes(v.status)) && (!types || types.split(",").includes(v.type))
  );
}

/** Each filter's select and its key in the API's query and the page's address. */
const FILTERS = [
  [ui.status, "status"],
  [ui.type, "type"],
] as const;

/** Sets the filters chosen into a query (the list's request, or the page's address). */
function withFilters(query: URLSearchParams): URLSearchParams {
  for (const [select, key] of FILTERS) if (select.value) query.set(key, select.value);
  return query;
}

/** The query of `GET /v1/actions` for the current filters. */
export function listQuery(limit: number, cursor: string | null = null): URLSearchParams {
  const query = withFilters(new URLSearchParams({ limit: String(limit) }));
  if (cursor) query.set("cursor", cursor);
  return query;
}

export function clearFilters(): void {
  ui.status.value = ui.type.value = "";
}

/** The filters from the address, where they name an option the page offers. */
export function restoreFilters(params: URLSearchParams): void {
  for (const [select, key] of FILTERS) {
    const value = params.get(key);
    if (value && [...select.options].some((o) => o.value === value)) select.value = value;
  }
}

/** Writes the filters and the targeted reference into the address, without a new history entry. */
export function syncUrl(target: string | null): void {
  const query = withFilters(new URLSearchParams());
  if (target) query.set("ref", target);
  history.replaceState(null, "", addressOf(query));
}

/** This page's address with the query (and no `?` when it is empty). */
export function addressOf(query: URLSearchParams): string {
  const search = query.toString();
  return location.pathname + (search ? `?${search}` : "");
}
