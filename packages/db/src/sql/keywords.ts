// PostgreSQL's keyword categories, which decide where a word may serve as a name: the
// parser asks them when it reads a column, table, function or alias name, and the deparser
// asks them when it decides whether a name needs quotes. Unreserved keywords are absent:
// they behave as plain identifiers everywhere a name is allowed.

/** Never a name without quotes (`select`, `from`, `user`...). */
const RESERVED = new Set([
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast',
  'check', 'collate', 'column', 'constraint', 'create', 'current_catalog', 'current_date', 'current_role',
  'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do', 'else',
  'end', 'except', 'false', 'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in', 'initially',
  'intersect', 'into', 'lateral', 'leading', 'limit', 'localtime', 'localtimestamp', 'not', 'null', 'offset', 'on',
  'only', 'or', 'order', 'placing', 'primary', 'references', 'returning', 'select', 'session_user', 'some',
  'symmetric', 'system_user', 'table', 'then', 'to', 'trailing', 'true', 'union', 'unique', 'user', 'using',
  'variadic', 'when', 'where', 'window', 'with',
  // Tibero's niladic functions: as bare words they are calls, so a column of that name needs quotes.
  'sysdate', 'systimestamp',
]); // prettier-ignore

/** May name a column or table, not a function or type (`int`, `position`, `values`...). */
const COLUMN_NAME = new Set([
  'between', 'bigint', 'bit', 'boolean', 'char', 'character', 'coalesce', 'dec', 'decimal', 'exists', 'extract',
  'float', 'greatest', 'grouping', 'inout', 'int', 'integer', 'interval', 'json', 'least', 'national', 'nchar',
  'none', 'normalize', 'nullif', 'numeric', 'out', 'overlay', 'position', 'precision', 'real', 'row', 'setof',
  'smallint', 'substring', 'time', 'timestamp', 'treat', 'trim', 'values', 'varchar', 'xmlattributes',
  'xmlconcat', 'xmlelement', 'xmlexists', 'xmlforest', 'xmlnamespaces', 'xmlparse', 'xmlpi', 'xmlroot',
  'xmlserialize', 'xmltable',
]); // prettier-ignore

/** May name a function or type, not a column or table (`left`, `join`, `like`...). */
const TYPE_FUNCTION_NAME = new Set([
  'authorization', 'binary', 'collation', 'concurrently', 'cross', 'current_schema', 'freeze', 'full', 'ilike',
  'inner', 'is', 'isnull', 'join', 'left', 'like', 'natural', 'notnull', 'outer', 'overlaps', 'right', 'similar',
  'tablesample', 'verbose',
]); // prettier-ignore

/** Words that follow an expression with a meaning of their own, so an alias of that name needs AS. */
const AS_LABEL_ONLY = new Set([
  'char', 'character', 'day', 'filter', 'hour', 'ignore', 'isnull', 'minute', 'month', 'notnull', 'over',
  'overlaps', 'precision', 'respect', 'second', 'varying', 'within', 'without', 'year',
]); // prettier-ignore

export type KeywordCategory = 'reserved' | 'columnName' | 'typeFunctionName' | 'unreserved';

const CATEGORY = new Map<string, KeywordCategory>();
for (const word of RESERVED) CATEGORY.set(word, 'reserved');
for (const word of COLUMN_NAME) CATEGORY.set(word, 'columnName');
for (const word of TYPE_FUNCTION_NAME) CATEGORY.set(word, 'typeFunctionName');

/** The category of a lower-case word; plain identifiers and unreserved keywords are 'unreserved'. */
export function keywordCategory(word: string): KeywordCategory {
  return CATEGORY.get(word) ?? 'unreserved';
}

/** PostgreSQL's ColId: a word that may name a column, table, alias or other object. */
export function isColumnId(word: string): boolean {
  const category = CATEGORY.get(word);
  return category === undefined || category === 'columnName';
}

/** PostgreSQL's type_function_name: a word that may name a function or a type. */
export function isTypeFunctionName(word: string): boolean {
  const category = CATEGORY.get(word);
  return category === undefined || category === 'typeFunctionName';
}

/** A word that may follow a select-list expression as its alias without AS. */
export function isBareLabel(word: string): boolean {
  return !RESERVED.has(word) && !AS_LABEL_ONLY.has(word);
}

/**
 * Quotes a name unless it reads back unchanged bare: lower case ASCII letters, digits, `_`
 * and `$`, not starting with a digit or `$`, and not a keyword that would change meaning.
 */
export function quoteIdentifier(name: string): string {
  if (isPlainName(name) && keywordCategory(name) === 'unreserved') return name;
  return `"${name.replaceAll('"', '""')}"`;
}

/** Lower-case ASCII name characters only (what an unquoted identifier folds to). */
export function isPlainName(name: string): boolean {
  if (name.length === 0) return false;
  const first = name.charCodeAt(0);
  if (!((first >= 0x61 && first <= 0x7a) || first === 0x5f)) return false;
  for (let i = 1; i < name.length; i++) {
    const code = name.charCodeAt(i);
    const ok =
      (code >= 0x61 && code <= 0x7a) ||
      (code >= 0x30 && code <= 0x39) ||
      code === 0x5f ||
      code === 0x24 ||
      code === 0x23;
    if (!ok) return false;
  }
  return true;
}
