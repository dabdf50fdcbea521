/**
 * A real MariaDB/MySQL server for the SQL tests, taken from
 * PATCHOPS_TEST_MYSQL_URL (default: the patchops user that .ci/run creates
 * on 127.0.0.1). Where none answers, the tests that need it are ignored.
 */

import mysql from "mysql2/promise";
import { have, MYSQL_URL } from "../_env.ts";

export { MYSQL_URL };

/** Whether a server answers; tests use it for `ignore`. */
export const HAVE_MYSQL = await have("mysql");

export type Conn = mysql.Connection;

/** Opens a connection with multiple statements allowed. */
export async function connect(): Promise<Conn> {
  return await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true });
}

let counter = 0;
// Test files run in parallel as workers of one process: the pid alone does not tell them apart.
const RUN = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);

/** Creates fresh databases, runs `fn`, drops them. */
export async function withDatabases(
  conn: Conn,
  count: number,
  fn: (names: string[]) => Promise<void>,
): Promise<void> {
  const names = Array.from({ length: count }, () => `pt_${Deno.pid}_${RUN}_${++counter}`);
  for (const n of names) await conn.query(`DROP DATABASE IF EXISTS \`${n}\`; CREATE DATABASE \`${n}\``);
  try {
    await fn(names);
  } finally {
    for (const n of names) await conn.query(`DROP DATABASE IF EXISTS \`${n}\``);
  }
}

/**
 * Loads a schema file into `db` with the `mariadb` command-line client, the
 * tool a user would load it with (DELIMITER and all).
 */
export async function loadScript(db: string, sql: string): Promise<void> {
  const url = new URL(MYSQL_URL);
  const child = new Deno.Command("mariadb", {
    args: [
      `--host=${url.hostname}`,
      `--port=${url.port || "3306"}`,
      `--user=${decodeURIComponent(url.username)}`,
      `--password=${decodeURIComponent(url.password)}`,
      // The charset mysql2 connects with: the server writes it into casts to CHAR.
      "--default-character-set=utf8mb4",
      db,
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(sql));
  await writer.close();
  const { code, stderr } = await child.output();
  if (code !== 0) throw new Error(`mariadb refused the script: ${new TextDecoder().decode(stderr).trim()}`);
}

/** Runs a schema script in `db`. */
export async function runIn(conn: Conn, db: string, sql: string): Promise<void> {
  await conn.query(`USE \`${db}\``);
  await conn.query(sql);
}

type Row = Record<string, unknown>;

/** SHOW CREATE TABLE of every base table, AUTO_INCREMENT=N removed. */
export async function showTables(conn: Conn, db: string): Promise<Map<string, string>> {
  const [rows] = await conn.query(`SHOW FULL TABLES FROM \`${db}\` WHERE Table_type = 'BASE TABLE'`) as [
    Row[],
    unknown,
  ];
  const out = new Map<string, string>();
  for (const r of rows) {
    const name = String(Object.values(r)[0]);
    const [c] = await conn.query(`SHOW CREATE TABLE \`${db}\`.\`${name}\``) as [Row[], unknown];
    out.set(name, String(c[0]!["Create Table"]).replace(/ AUTO_INCREMENT=\d+/, ""));
  }
  return out;
}

/**
 * SHOW CREATE TABLE with the key and constraint lines sorted: the server
 * lists keys in creation order, which an ALTER cannot always reproduce
 * without rebuilding indexes, and that order has no meaning.
 */
export function keyOrderInsensitive(create: string): string {
  const lines = create.split("\n");
  // Unnamed foreign keys are matched by content, so their numbers need not follow the schema's order.
  const body = lines.slice(1, -1).map((l) => l.replace(/,$/, "").replace(/(CONSTRAINT `\w+_ibfk_)\d+`/, "$1N`"));
  const cols = body.filter((l) => /^\s+`/.test(l));
  const rest = body.filter((l) => !/^\s+`/.test(l)).sort();
  return [lines[0], ...cols, ...rest, lines.at(-1)].join("\n");
}

/**
 * SHOW CREATE of every view, trigger, procedure, function and event, with
 * what differs between two databases built from the same script removed
 * (the definer, an event's STARTS, which is the creation time).
 */
export async function showObjects(conn: Conn, db: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const clean = (s: string) =>
    s.replace(/DEFINER=`[^`]*`@`[^`]*` /, "").replace(/ STARTS '[^']*'/, "").replaceAll(`\`${db}\`.`, "");
  const [views] = await conn.query(`SHOW FULL TABLES FROM \`${db}\` WHERE Table_type = 'VIEW'`) as [Row[], unknown];
  for (const v of views) {
    const name = String(Object.values(v)[0]);
    const [c] = await conn.query(`SHOW CREATE VIEW \`${db}\`.\`${name}\``) as [Row[], unknown];
    out.set(`view ${name}`, clean(String(c[0]!["Create View"])));
  }
  const [triggers] = await conn.query(`SHOW TRIGGERS FROM \`${db}\``) as [Row[], unknown];
  for (const tr of triggers) {
    const [c] = await conn.query(`SHOW CREATE TRIGGER \`${db}\`.\`${String(tr.Trigger)}\``) as [Row[], unknown];
    out.set(`trigger ${tr.Trigger}`, clean(String(c[0]!["SQL Original Statement"])));
  }
  for (const [kind, column] of [["PROCEDURE", "Create Procedure"], ["FUNCTION", "Create Function"]] as const) {
    const [rows] = await conn.query(`SHOW ${kind} STATUS WHERE Db = ?`, [db]) as [Row[], unknown];
    for (const r of rows) {
      const [c] = await conn.query(`SHOW CREATE ${kind} \`${db}\`.\`${String(r.Name)}\``) as [Row[], unknown];
      out.set(`${kind} ${r.Name}`, clean(String(c[0]![column])));
    }
  }
  const [events] = await conn.query(`SHOW EVENTS FROM \`${db}\``) as [Row[], unknown];
  for (const e of events) {
    const [c] = await conn.query(`SHOW CREATE EVENT \`${db}\`.\`${String(e.Name)}\``) as [Row[], unknown];
    out.set(`event ${e.Name}`, clean(String(c[0]!["Create Event"])));
  }
  return out;
}

/** Columns of every base table of `db` with their types, and each table's row count. */
export async function columnsAndRows(conn: Conn, db: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const [cols] = await conn.query(
    `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c, c.COLUMN_TYPE AS ty FROM information_schema.COLUMNS c
     JOIN information_schema.TABLES x ON x.TABLE_SCHEMA = c.TABLE_SCHEMA AND x.TABLE_NAME = c.TABLE_NAME
     WHERE c.TABLE_SCHEMA = ? AND x.TABLE_TYPE = 'BASE TABLE'`,
    [db],
  ) as [Row[], unknown];
  // Column names are case-insensitive.
  for (const r of cols) out.set(`${r.t}.${String(r.c).toLowerCase()}`, String(r.ty));
  const tables = new Set(cols.map((r) => String(r.t)));
  for (const t of tables) {
    const [n] = await conn.query(`SELECT COUNT(*) AS n FROM \`${db}\`.\`${t}\``) as [Row[], unknown];
    out.set(`${t} rows`, String(n[0]!.n));
  }
  return out;
}

/** The schema of `db` as a script: tables, views and triggers as the server reports them. */
export async function exportSchema(conn: Conn, db: string): Promise<string> {
  const parts = [...(await showTables(conn, db)).values()].map((s) => `${s};`);
  const [views] = await conn.query(`SHOW FULL TABLES FROM \`${db}\` WHERE Table_type = 'VIEW'`) as [Row[], unknown];
  for (const v of views) {
    const [c] = await conn.query(`SHOW CREATE VIEW \`${db}\`.\`${String(Object.values(v)[0])}\``) as [Row[], unknown];
    parts.push(`${c[0]!["Create View"]};`);
  }
  const [triggers] = await conn.query(`SHOW TRIGGERS FROM \`${db}\``) as [Row[], unknown];
  for (const tr of triggers) {
    const [c] = await conn.query(`SHOW CREATE TRIGGER \`${db}\`.\`${String(tr.Trigger)}\``) as [Row[], unknown];
    const body = String(c[0]!["SQL Original Statement"]);
    parts.push(body.includes(";") ? `DELIMITER ;;\n${body};;\nDELIMITER ;` : `${body};`);
  }
  for (const [kind, column] of [["PROCEDURE", "Create Procedure"], ["FUNCTION", "Create Function"]] as const) {
    const [rows] = await conn.query(`SHOW ${kind} STATUS WHERE Db = ?`, [db]) as [Row[], unknown];
    for (const r of rows) {
      const [c] = await conn.query(`SHOW CREATE ${kind} \`${db}\`.\`${String(r.Name)}\``) as [Row[], unknown];
      const text = String(c[0]![column]);
      parts.push(text.includes(";") ? `DELIMITER ;;\n${text};;\nDELIMITER ;` : `${text};`);
    }
  }
  const [events] = await conn.query(`SHOW EVENTS FROM \`${db}\``) as [Row[], unknown];
  for (const e of events) {
    const [c] = await conn.query(`SHOW CREATE EVENT \`${db}\`.\`${String(e.Name)}\``) as [Row[], unknown];
    const text = String(c[0]!["Create Event"]);
    parts.push(text.includes(";") ? `DELIMITER ;;\n${text};;\nDELIMITER ;` : `${text};`);
  }
  return parts.join("\n");
}
