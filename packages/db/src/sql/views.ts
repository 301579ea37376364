// The dynamic performance views (v$database, v$instance, v$datafile, v$tablespace, v$log,
// v$logfile, v$controlfile, v$session, v$transaction) with Tibero/Oracle column names, and
// DUAL. Each is computed from the live instance when read; the control-file views also
// work in MOUNT, where an administrator needs them before OPEN.
import type { ControlFileState } from '../control/control-state.js';
import type { Instance } from '../instance/instance.js';
import { scanArchiveDestinations, type ArchivedLog } from '../redo/archive-file.js';
import { ddlExportView, type DdlSource } from './ddl-export.js';
import type { Row } from './expr.js';
import type { VirtualRelation } from './planner.js';
import { T, type SqlType } from './types/types.js';

/** What the views read besides the instance: the engine's sessions. */
export interface ViewSource {
  readonly instance: Instance;
  readonly instanceName: string;
  readonly version: string;
  readonly startedAtMicros: bigint;
  /** The user tables with their columns (user_tables, user_tab_columns). */
  tables(): readonly {
    readonly name: string;
    readonly owner: string;
    readonly tablespace: string;
    readonly rows: number | undefined;
    readonly columns: readonly {
      readonly name: string;
      readonly type: string;
      readonly nullable: boolean;
      readonly default?: string;
    }[];
  }[];
  /** What tandem$ddl (ddl-export.ts) reads. */
  readonly ddl: DdlSource;
  sessions(): readonly {
    readonly id: number;
    readonly user: string;
    readonly status: string;
    readonly program: string;
    readonly address: string;
    readonly logonMicros: bigint;
    readonly sql: string;
    readonly transactionId: number | undefined;
  }[];
}

function view(
  name: string,
  columns: readonly [string, SqlType][],
  produce: () => AsyncIterable<Row> | Iterable<Row>,
): VirtualRelation {
  return { kind: 'virtual', name, columns: columns.map(([columnName, type]) => ({ name: columnName, type })), produce };
}

/**
 * The archived logs the database knows: in OPEN, what the archiver found at OPEN and has
 * written since; in MOUNT, what the destinations hold now.
 */
async function archivedLogs(source: ViewSource): Promise<readonly ArchivedLog[]> {
  const { instance } = source;
  if (instance.stage === 'OPEN') return instance.database.storage.archiver.catalog;
  const control = controlState(source);
  if (control === undefined) return [];
  return scanArchiveDestinations(instance.io.fs, instance.archiveDestinations, control.dbId);
}

/** What v$archived_log and v$archive_dest_files both show of an archived log, after its name. */
const ARCHIVED_LOG_COLUMNS: readonly [string, SqlType][] = [
  ['thread#', T.int4],
  ['sequence#', T.int8],
  ['incarnation#', T.int4],
  ['resetlogs_tsn', T.int8],
  ['first_tsn', T.int8],
  ['next_tsn', T.int8],
  ['first_time', T.timestamptz],
  ['next_time', T.timestamptz],
  ['bytes', T.int8],
];

function archivedLogFields(log: ArchivedLog): Row {
  return [
    log.thread,
    BigInt(log.sequence),
    log.incarnation,
    BigInt(log.resetlogsTsn),
    BigInt(log.firstTsn),
    BigInt(log.nextTsn),
    BigInt(log.firstMs) * 1000n,
    BigInt(log.nextMs) * 1000n,
    BigInt(log.sizeBytes),
  ];
}

/** The control file state in MOUNT (the control files) or OPEN (the storage's live copy). */
function controlState(source: ViewSource): ControlFileState | undefined {
  const { instance } = source;
  if (instance.stage === 'OPEN') return instance.database.storage.control.state;
  if (instance.stage === 'MOUNT') return instance.controlFiles.state;
  return undefined;
}

export function dynamicViews(source: ViewSource): VirtualRelation[] {
  const { instance } = source;
  const state = (): ControlFileState | undefined => controlState(source);
  return [
    view('dual', [['dummy', T.text]], () => [['X']]),
    view(
      'v$instance',
      [
        ['instance_name', T.text],
        ['version', T.text],
        ['status', T.text],
        ['startup_time', T.timestamptz],
      ],
      () => [
        [
          source.instanceName,
          source.version,
          instance.stage === 'OPEN' ? 'OPEN' : instance.stage,
          source.startedAtMicros,
        ],
      ],
    ),
    view(
      'v$database',
      [
        ['dbid', T.int8],
        ['name', T.text],
        ['log_mode', T.text],
        ['open_mode', T.text],
        ['current_tsn', T.int8],
        ['checkpoint_tsn', T.int8],
        ['resetlogs_tsn', T.int8],
        ['created', T.timestamptz],
      ],
      () => {
        const control = state();
        if (control === undefined) return [];
        const current = instance.stage === 'OPEN' ? instance.database.storage.redo.lastTsn : control.checkpoint.tsn;
        return [
          [
            BigInt(control.dbId),
            control.dbName,
            control.logMode,
            instance.stage === 'OPEN' ? 'READ WRITE' : 'MOUNTED',
            BigInt(current),
            BigInt(control.checkpoint.tsn),
            BigInt(control.incarnation.resetlogsTsn),
            BigInt(control.createdMs) * 1000n,
          ],
        ];
      },
    ),
    view(
      'v$tablespace',
      [
        ['ts#', T.int4],
        ['name', T.text],
        ['type', T.text],
      ],
      () => (state()?.tablespaces ?? []).map((ts) => [ts.number, ts.name, ts.kind]),
    ),
    view(
      'v$datafile',
      [
        ['file#', T.int4],
        ['name', T.text],
        ['tablespace', T.text],
        ['ts#', T.int4],
        ['status', T.text],
        ['checkpoint_tsn', T.int8],
        ['creation_tsn', T.int8],
        ['bytes', T.int8],
        ['autoextensible', T.text],
      ],
      () => {
        const control = state();
        if (control === undefined) return [];
        return control.datafiles.map((file) => {
          const tablespace = control.tablespaces.find((ts) => ts.number === file.tablespaceNumber);
          return [
            file.number,
            file.path,
            tablespace?.name ?? null,
            file.tablespaceNumber,
            file.status !== undefined && file.status !== 'ONLINE'
              ? file.status
              : tablespace?.kind === 'SYSTEM'
                ? 'SYSTEM'
                : 'ONLINE',
            BigInt(file.checkpointTsn),
            BigInt(file.creationTsn),
            BigInt(file.sizeBlocks) * BigInt(control.blockBytes),
            file.autoextend === null ? 'NO' : 'YES',
          ];
        });
      },
    ),
    view(
      'v$log',
      [
        ['group#', T.int4],
        ['sequence#', T.int8],
        ['bytes', T.int8],
        ['members', T.int4],
        ['archived', T.text],
        ['status', T.text],
        ['first_tsn', T.int8],
        ['next_tsn', T.int8],
      ],
      () =>
        (state()?.logGroups ?? []).map((group) => [
          group.number,
          BigInt(group.sequence),
          BigInt(group.sizeBytes),
          group.members.length,
          group.archived === true ? 'YES' : 'NO',
          group.state,
          BigInt(group.firstTsn),
          BigInt(group.nextTsn),
        ]),
    ),
    view(
      'v$database_incarnation',
      [
        ['incarnation#', T.int4],
        ['resetlogs_tsn', T.int8],
        ['resetlogs_time', T.timestamptz],
        ['prior_incarnation#', T.int4],
        ['status', T.text],
      ],
      () => {
        const control = state();
        if (control === undefined) return [];
        return [...(control.pastIncarnations ?? []), control.incarnation].map((incarnation) => [
          incarnation.number,
          BigInt(incarnation.resetlogsTsn),
          BigInt(incarnation.resetlogsMs) * 1000n,
          incarnation.parent ?? null,
          incarnation.number === control.incarnation.number ? 'CURRENT' : 'PARENT',
        ]);
      },
    ),
    view(
      'v$backup',
      [
        ['file#', T.int4],
        ['status', T.text],
        ['change#', T.int8],
      ],
      () =>
        (state()?.datafiles ?? []).map((file) => [
          file.number,
          file.backupTsn === undefined ? 'NOT ACTIVE' : 'ACTIVE',
          file.backupTsn === undefined ? null : BigInt(file.backupTsn),
        ]),
    ),
    view(
      'v$archived_log',
      [
        ['name', T.text],
        ['dest_id', T.int4],
        ...ARCHIVED_LOG_COLUMNS,
        ['checksum', T.text],
        ['completion_time', T.timestamptz],
        ['status', T.text],
      ],
      async function* () {
        const destinations = instance.archiveDestinations;
        for (const log of await archivedLogs(source)) {
          const destination = destinations.findIndex((directory) => log.path.startsWith(`${directory}/`));
          const present = await instance.io.fs.exists(log.path);
          yield [
            log.path,
            destination + 1,
            ...archivedLogFields(log),
            log.bodyCrc32.toString(16).padStart(8, '0'),
            BigInt(log.archivedMs) * 1000n,
            present ? 'A' : 'D',
          ];
        }
      },
    ),
    view('v$archive_dest_files', [['name', T.text], ...ARCHIVED_LOG_COLUMNS], async function* () {
      const control = state();
      if (control === undefined) return;
      for (const log of await scanArchiveDestinations(instance.io.fs, instance.archiveDestinations, control.dbId)) {
        yield [log.path, ...archivedLogFields(log)];
      }
    }),
    view(
      'v$logfile',
      [
        ['group#', T.int4],
        ['status', T.text],
        ['type', T.text],
        ['member', T.text],
      ],
      () =>
        (state()?.logGroups ?? []).flatMap((group) =>
          group.members.map((member) => [
            group.number,
            member.status === 'VALID' ? null : member.status,
            'ONLINE',
            member.path,
          ]),
        ),
    ),
    view(
      'v$controlfile',
      [
        ['name', T.text],
        ['status', T.text],
      ],
      () => {
        if (instance.stage === 'NOMOUNT' || instance.stage === 'SHUTDOWN') return [];
        const paths = instance.controlFilePaths;
        return paths.map((path) => [path, null]);
      },
    ),
    view(
      'user_tables',
      [
        ['table_name', T.text],
        ['owner', T.text],
        ['tablespace_name', T.text],
        ['num_rows', T.int8],
      ],
      () =>
        source
          .tables()
          .map((table) => [
            table.name,
            table.owner,
            table.tablespace,
            table.rows === undefined ? null : BigInt(table.rows),
          ]),
    ),
    view(
      'user_tab_columns',
      [
        ['table_name', T.text],
        ['column_name', T.text],
        ['data_type', T.text],
        ['nullable', T.text],
        ['column_id', T.int4],
        ['data_default', T.text],
      ],
      () =>
        source
          .tables()
          .flatMap((table) =>
            table.columns.map((column, i) => [
              table.name,
              column.name,
              column.type,
              column.nullable ? 'Y' : 'N',
              i + 1,
              column.default ?? null,
            ]),
          ),
    ),
    view(
      'v$session',
      [
        ['sid', T.int4],
        ['username', T.text],
        ['status', T.text],
        ['program', T.text],
        ['client_addr', T.text],
        ['logon_time', T.timestamptz],
        ['sql_text', T.text],
        ['xid', T.int8],
      ],
      () =>
        source
          .sessions()
          .map((session) => [
            session.id,
            session.user,
            session.status,
            session.program,
            session.address,
            session.logonMicros,
            session.sql === '' ? null : session.sql,
            session.transactionId === undefined ? null : BigInt(session.transactionId),
          ]),
    ),
    view(
      'v$transaction',
      [
        ['xid', T.int8],
        ['sid', T.int4],
        ['username', T.text],
        ['status', T.text],
      ],
      () =>
        source
          .sessions()
          .filter((session) => session.transactionId !== undefined && session.transactionId > 0)
          .map((session) => [BigInt(session.transactionId!), session.id, session.user, 'ACTIVE']),
    ),
    ddlExportView(source.ddl),
  ];
}
