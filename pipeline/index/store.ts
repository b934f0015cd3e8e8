import { existsSync } from 'node:fs';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, Float32, List, type Schema } from 'apache-arrow';
import { GeoscoutError } from '../../core/errors.js';
import { TABLE_SCHEMAS, type TableName } from './schemas.js';

/** Seconds a read may lag behind another process's commit (see {@link Store.open}). */
export const READ_CONSISTENCY_S = 1;

/**
 * Lance file format of tables created from now on. 2.1 compresses strings and small integers
 * (tile ids, image ids, versions, windows): the same 20,000 tile rows take 564 B a row against
 * 646 B in the default 2.0 (scratch measurement, session 16; bench:ingest prints the table's
 * bytes per tile). Existing tables keep the format they were written in; LanceDB reads both.
 */
export const DATA_STORAGE_VERSION = '2.1';

/**
 * The LanceDB database behind every table in DESIGN.md: a local directory on one
 * machine, an object-store URI (s3://, gs://, az://) when many machines share it.
 * Tables are created on first use with their fixed schema. `close()` is idempotent.
 */
export class Store {
  private readonly tables = new Map<string, Promise<lancedb.Table>>();
  /** Handles of {@link openExisting} (no schema check, so kept apart from `tables`). */
  private readonly existing = new Map<string, Promise<lancedb.Table>>();
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
      t = this.openOrCreate(name, schema).then(async (table) => {
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

  /**
   * Writes rows so that each key is stored once, however many processes or cluster tasks
   * write the same rows at once: a LanceDB merge-insert on `key`, with the column declared
   * the table's unenforced primary key, so a concurrent commit that inserted the same keys
   * is a conflict Lance retries against the newer version (plain `add`, or a merge-insert
   * without the key declared, commits both copies). `update`: rows whose key exists replace
   * the stored ones; otherwise stored rows win (insert-if-absent). Commit conflicts that
   * survive Lance's own retries are retried here with backoff.
   */
  async upsert(table: lancedb.Table, key: string, rows: Record<string, unknown>[], opts: { update?: boolean } = {}): Promise<{ inserted: number; updated: number }> {
    if (!rows.length) return { inserted: 0, updated: 0 };
    await this.ensurePrimaryKey(table, key);
    return withCommitRetries(async () => {
      let b = table.mergeInsert(key);
      if (opts.update) b = b.whenMatchedUpdateAll();
      const r = await b.whenNotMatchedInsertAll().execute(rows);
      return { inserted: r.numInsertedRows, updated: r.numUpdatedRows };
    });
  }

  private readonly keyed = new Map<string, Promise<void>>();

  /** Declares `key` the table's unenforced primary key once (first write only: reads never write). */
  private ensurePrimaryKey(table: lancedb.Table, key: string): Promise<void> {
    let p = this.keyed.get(table.name);
    if (!p) {
      p = (async () => {
        if ((await primaryKeyOf(table)) === key) return;
        // Another process may declare it at the same moment: the loser's commit fails, and
        // reading the schema again shows the key it wanted.
        await table.setUnenforcedPrimaryKey(key).catch(async (err: unknown) => {
          await table.checkoutLatest();
          const now = await primaryKeyOf(table);
          if (now !== key) throw new GeoscoutError('CONFLICT', `Table ${table.name} in ${this.uri} has ${now ? `primary key ${now}` : 'no primary key'}, expected ${key}: ${(err as Error).message}`, { cause: err });
        });
      })();
      p.catch(() => this.keyed.delete(table.name));
      this.keyed.set(table.name, p);
    }
    return p;
  }

  /**
   * Opens the table; creates it empty only when it never existed. A table LanceDB lists but
   * cannot open, or whose directory is there but not listed (its manifests deleted), is
   * CORRUPT_DATA: recreating it would hide the damage and lose what was stored.
   */
  private async openOrCreate(name: string, schema: Schema): Promise<lancedb.Table> {
    const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(this.uri);
    // A directory without a readable version is either damage or another process creating the
    // table this very moment: wait a little for its first version before calling it damaged.
    for (let wait = 0; ; wait++) {
      if ((await this.db.tableNames()).includes(name)) {
        try {
          return await this.db.openTable(name);
        } catch (cause) {
          if (wait < 10) { await new Promise((r) => setTimeout(r, 200)); continue; }
          throw damaged(name, this.uri, cause);
        }
      }
      if (!local || !existsSync(path.join(this.uri, `${name}.lance`))) break;
      if (wait >= 10) throw damaged(name, this.uri, new Error('its directory exists but holds no readable version'));
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.db.createEmptyTable(name, schema, { mode: 'create', existOk: true, storageOptions: { new_table_data_storage_version: DATA_STORAGE_VERSION } });
  }

  /**
   * An existing table, whatever its schema (maintenance and tests). Never creates one: a
   * missing table is NOT_FOUND, one that cannot be opened is CORRUPT_DATA naming it. The
   * handle belongs to the store (closed by {@link close}); callers do not close it.
   */
  async openExisting(name: string): Promise<lancedb.Table> {
    const open = this.tables.get(name) ?? this.existing.get(name);
    if (open) return open;
    if (!(await this.tableNames()).includes(name)) throw new GeoscoutError('NOT_FOUND', `There is no table ${name} in ${this.uri}.`);
    const p = this.db.openTable(name).catch((cause: unknown) => {
      this.existing.delete(name);
      throw damaged(name, this.uri, cause);
    });
    this.existing.set(name, p);
    return p;
  }

  /** The schema of an existing table as stored now, or null when there is no such table. */
  async existingSchema(name: string): Promise<Schema | null> {
    if (!(await this.tableNames()).includes(name)) return null;
    return (await this.openExisting(name)).schema();
  }

  /** Names of the tables in the database. */
  tableNames(): Promise<string[]> {
    return this.db.tableNames();
  }

  /** Closes open tables and the connection; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [...this.tables.values(), ...this.existing.values()]) (await t.catch(() => null))?.close();
    this.tables.clear();
    this.existing.clear();
    this.db.close();
  }
}

function damaged(name: string, uri: string, cause: unknown): GeoscoutError {
  return new GeoscoutError('CORRUPT_DATA', `Table ${name} in ${uri} cannot be opened (${(cause as Error).message}). It was left as it is: restore it from a backup, or move ${name}.lance aside and rebuild it (images add / ingest / docs add).`, { cause, details: { table: name } });
}

/** Field metadata Lance records the unenforced primary key in (`…:position` = "1" in Lance 7). */
const PK_META = 'lance-schema:unenforced-primary-key';

/** The column declared the table's unenforced primary key, if any. */
export async function primaryKeyOf(table: lancedb.Table): Promise<string | null> {
  const schema = await table.schema();
  return schema.fields.find((f) => [...f.metadata.keys()].some((k) => k.startsWith(PK_META)))?.name ?? null;
}

/** Runs a commit, retrying when another writer committed first and Lance gave up retrying. */
export async function withCommitRetries<T>(commit: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await commit();
    } catch (err) {
      if (i + 1 >= attempts || !/commit conflict|retryable|conflict/i.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 50 * 2 ** i * (0.5 + Math.random())));
    }
  }
}

/** Quotes a string literal for a LanceDB (DataFusion SQL) filter. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A nullable variable-length float32 list column (vectors of any length in one table). */
export function listField(name: string): Field {
  return new Field(name, new List(new Field('item', new Float32(), true)), true);
}

/** An Arrow row as plain JS: list values (vectors) become arrays. */
export function plainRow(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k] = v && typeof v === 'object' && 'toArray' in v ? Array.from((v as { toArray(): ArrayLike<number> }).toArray()) : v;
  return out;
}
