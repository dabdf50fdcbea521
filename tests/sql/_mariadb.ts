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
  const body = lines.slice(1, -1).map((l) => l.replace(/,$/, ""));
  const cols = body.filter((l) => /^\s+`/.test(l));
  const rest = body.filter((l) => !/^\s+`/.test(l)).sort();
  return [lines[0], ...cols, ...rest, lines.at(-1)].join("\n");
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
  return parts.join("\n");
}
