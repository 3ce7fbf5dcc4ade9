"""CSV files of protected tables: the same texts as the page ("<5", ".."), nothing more."""

from __future__ import annotations

import csv
import io

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from coordination.statistics.figures import Table, TableRow


def _line(table: Table, row: TableRow) -> list[str]:
    line = [capfirst(row.label), *(figure.text for figure in row.cells)]
    if table.has_totals:
        line.append(row.total.text if row.total is not None else "")
    if table.dataset.share is not None:
        line.append(row.share or "..")
    return line


def table_csv(table: Table) -> str:
    """Semicolon-separated with a byte order mark, as Swedish spreadsheet programs expect."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    header = [table.row_label, *(capfirst(str(column.label)) for column in table.columns)]
    if table.has_totals:
        header.append(_("Totalt"))
    if table.dataset.share is not None:
        header.append(str(table.dataset.share.label))
    writer.writerow(header)
    for row in table.rows:
        writer.writerow(_line(table, row))
    if table.totals is not None:
        writer.writerow(_line(table, table.totals))
    return "\ufeff" + out.getvalue()
