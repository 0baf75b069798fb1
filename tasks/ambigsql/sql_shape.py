"""What a gold query asks for: selected columns, the tables it reads, how it orders the rows.

The rule generator (App. C, "driven by the parse") needs three facts about a Spider query:
what is selected (the *requested information*), from which table (the *requested
population*), and how the rows are presented (ORDER BY without LIMIT, a sorted list whose
order is a matter of presentation; with LIMIT the order picks the rows, as in "the oldest
singer", and is part of the request itself). sqlglot parses the query; ``tables.json``
resolves aliases and gives each table and column its natural name.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from act_bench_tasks.ambigsql.spider import SpiderColumn, SpiderSchema
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError


class UnparsableQuery(ValueError):
    """sqlglot could not parse the gold query."""


@dataclass(frozen=True, slots=True)
class SelectedItem:
    """One item of the outer SELECT list.

    ``column`` is the schema column it reads (None for ``*`` or an expression over several
    columns); ``aggregate`` the aggregate applied (``count``, ``avg`` ...), if any.
    """

    column: SpiderColumn | None
    aggregate: str | None


@dataclass(frozen=True, slots=True)
class OrderKey:
    column: SpiderColumn | None
    descending: bool


@dataclass(frozen=True, slots=True)
class QueryShape:
    """The parse facts the generators use."""

    selected: tuple[SelectedItem, ...]
    table_indices: tuple[int, ...]
    order: tuple[OrderKey, ...]
    has_limit: bool
    set_operation: bool

    @property
    def main_table(self) -> int | None:
        """The table the request is about: the first selected column's, else the first read."""
        for item in self.selected:
            if item.column is not None and item.column.table_index >= 0:
                return item.column.table_index
        return self.table_indices[0] if self.table_indices else None

    @property
    def selected_columns(self) -> tuple[SpiderColumn, ...]:
        """Columns selected as such (not aggregated), in order, without repeats."""
        seen: list[SpiderColumn] = []
        for item in self.selected:
            if item.aggregate is None and item.column is not None and item.column not in seen:
                seen.append(item.column)
        return tuple(seen)

    @property
    def only_aggregates(self) -> bool:
        return all(item.aggregate is not None for item in self.selected)

    @property
    def presentation_ordered(self) -> bool:
        """Rows sorted for presentation: ORDER BY on the outer query and no LIMIT."""
        return bool(self.order) and not self.has_limit


def analyze(sql: str, schema: SpiderSchema) -> QueryShape:
    """The shape of ``sql``, resolved against ``schema``; raises :class:`UnparsableQuery`."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except (ParseError, TokenError) as error:
        raise UnparsableQuery(str(error)) from error
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is None:
        raise UnparsableQuery(f"no SELECT in {sql!r}")
    aliases = _table_aliases(select, schema)
    tables = tuple(dict.fromkeys(aliases.values()))
    selected = tuple(_selected(e, aliases, tables, schema) for e in select.expressions)
    order_node = tree.args.get("order")
    order = tuple(
        OrderKey(_column_of(o.this, aliases, tables, schema), bool(o.args.get("desc")))
        for o in (order_node.expressions if order_node is not None else [])
    )
    return QueryShape(
        selected=selected,
        table_indices=tables,
        order=order,
        has_limit=tree.args.get("limit") is not None,
        set_operation=isinstance(tree, exp.SetOperation),
    )


def _table_aliases(select: exp.Select, schema: SpiderSchema) -> dict[str, int]:
    """Alias or table name (lower case) -> table index, for the tables the SELECT reads."""
    aliases: dict[str, int] = {}
    sources = [select.args.get("from_")] + list(select.args.get("joins") or [])
    for source in sources:
        if source is None or not isinstance(source.this, exp.Table):
            continue
        index = schema.table_index(source.this.name)
        if index is None:
            continue
        aliases.setdefault(source.this.name.lower(), index)
        if source.this.alias:
            aliases[source.this.alias.lower()] = index
    return aliases


def _selected(
    node: exp.Expression, aliases: dict[str, int], tables: tuple[int, ...], schema: SpiderSchema
) -> SelectedItem:
    if isinstance(node, exp.Alias):
        node = node.this
    if isinstance(node, exp.AggFunc):
        inner = node.this
        if isinstance(inner, exp.Distinct):
            inner = inner.expressions[0] if inner.expressions else None
        column = _column_of(inner, aliases, tables, schema) if inner is not None else None
        return SelectedItem(column, node.key.lower())
    return SelectedItem(_column_of(node, aliases, tables, schema), None)


def _column_of(
    node: exp.Expression | None,
    aliases: dict[str, int],
    tables: tuple[int, ...],
    schema: SpiderSchema,
) -> SpiderColumn | None:
    """The schema column a node names; None for ``*``, expressions and unknown names."""
    if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
        return None
    name = node.name.lower()
    qualifier = node.table.lower()
    candidates = (aliases[qualifier],) if qualifier in aliases else tables
    for table in candidates:
        for column in schema.columns_of(table):
            if column.original.lower() == name:
                return column
    return None
