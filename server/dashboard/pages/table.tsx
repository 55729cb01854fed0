/**
 * The listing table every page draws the same way: a scrolling wrapper, one header row
 * (plain column names, or header cells a page builds itself, e.g. sort links), the rows
 * given as children; and the "nothing here" note that scripts show once the rows are gone.
 */
import type { Child, FC } from "hono/jsx";

/** Props of `DataTable`. */
export interface DataTableProps {
  id: string;
  class: string;
  /** A name becomes a plain `<th scope="col">`; anything else is rendered as given. */
  columns: readonly Child[];
  /** Adds a last column for row actions, named for screen readers only. */
  actions?: boolean;
  children?: Child;
}

const ColumnHead: FC<{ column: Child }> = ({ column }) =>
  typeof column === "string" ? <th scope="col">{column}</th> : <>{column}</>;

/** A table in its scrolling wrapper, with its header row. */
export const DataTable: FC<DataTableProps> = (p) => (
  <div class="table-wrap">
    <table id={p.id} class={p.class}>
      <thead>
        <tr>
          {p.columns.map((c, i) => <ColumnHead key={i} column={c} />)}
          {p.actions
            ? (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            )
            : null}
        </tr>
      </thead>
      <tbody>{p.children}</tbody>
    </table>
  </div>
);

/** The note in place of a table's rows, hidden while there are rows (scripts update it). */
export const EmptyNote: FC<{ id: string; hidden: boolean; children?: Child }> = (p) => (
  <p id={p.id} class="empty" hidden={p.hidden ? true : undefined}>
    {p.children}
  </p>
);
