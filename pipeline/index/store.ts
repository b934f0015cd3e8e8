import * as lancedb from '@lancedb/lancedb';
import type { Schema } from 'apache-arrow';
import { GeoscoutError } from '../../core/errors.js';
import { TABLE_SCHEMAS, type TableName } from './schemas.js';

/** Seconds a read may lag behind another process's commit (see {@link Store.open}). */
export const READ_CONSISTENCY_S = 1;

/**
 * The LanceDB database behind every table in DESIGN.md: a local directory on one
 * machine, an object-store URI (s3://, gs://, az://) when many machines share it.
 * Tables are created on first use with their fixed schema. `close()` is idempotent.
 */
export class Store {
  private readonly tables = new Map<string, Promise<lancedb.Table>>();
  private closed = false;

  private constructor(
    readonly uri: string,
    private readonly db: lancedb.Connection,
  ) {}

  /** Connects to (creating if needed) the database at `uri`. */
  static async open(uri: string): Promise<Store> {
    try {
      // A long-running server (MCP, REST) must see rows other processes commit (images added,
      // scenes ingested, documents indexed): reads check for a newer table version at most
      // once per READ_CONSISTENCY_S. LanceDB's default never checks.
      return new Store(uri, await lancedb.connect(uri, { readConsistencyInterval: READ_CONSISTENCY_S }));
    } catch (cause) {
      throw new GeoscoutError('CONFIG', `Cannot open the LanceDB database at ${uri}: ${(cause as Error).message}. Check dbUri in the configuration.`, { cause });
    }
  }

  /** The named table, created empty with its schema when it does not exist yet. */
  table(name: TableName): Promise<lancedb.Table> {
    return this.tableWithSchema(name, TABLE_SCHEMAS[name]);
  }

  /**
   * A table whose schema depends on a model (vector sizes), created on first use. An
   * existing table with other vector sizes is a CONFLICT, never silently mixed.
   */
  tableWithSchema(name: string, schema: Schema): Promise<lancedb.Table> {
    if (this.closed) throw new GeoscoutError('INVALID_INPUT', `The store at ${this.uri} is closed.`);
    let t = this.tables.get(name);
    if (!t) {
      t = this.db.createEmptyTable(name, schema, { mode: 'create', existOk: true }).then(async (table) => {
        const have = await table.schema();
        for (const f of schema.fields) {
          const got = have.fields.find((x) => x.name === f.name);
          if (!got || String(got.type) !== String(f.type)) {
            table.close();
            throw new GeoscoutError('CONFLICT', `Table ${name} in ${this.uri} has column ${f.name} as ${got ? String(got.type) : 'missing'}, expected ${String(f.type)}: it was made by another model layout. Use another database or a model with the same vector sizes.`);
          }
        }
        return table;
      });
      this.tables.set(name, t);
    }
    return t;
  }

  /** Names of the tables in the database. */
  tableNames(): Promise<string[]> {
    return this.db.tableNames();
  }

  /** Closes open tables and the connection; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.tables.values()) (await t.catch(() => null))?.close();
    this.tables.clear();
    this.db.close();
  }
}

/** Quotes a string literal for a LanceDB (DataFusion SQL) filter. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
