/**
 * A live MySQL/MariaDB database through npm's mysql2: introspection (SHOW
 * CREATE re-parsed by our own parser), a server-side migration lock, and
 * statement-by-statement execution (MySQL commits DDL implicitly, so there
 * is no transaction to roll back).
 *
 * @module
 */

import mysql from "mysql2/promise";
import { PatchopsError } from "../../errors.ts";
import type { DbUrl } from "./url.ts";
import type { LiveDatabase } from "./database.ts";
import { quoteIdent as q } from "../mysql/quote.ts";

type Row = Record<string, unknown>;

/** Opens a MySQL/MariaDB database. */
export async function openMysql(url: DbUrl): Promise<LiveDatabase> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ uri: url.driverUrl, connectTimeout: 10_000 });
  } catch (err) {
    throw new PatchopsError("DbFailed", `cannot connect to "${url.display}" (${(err as Error).message})`);
  }
  const lockName = `patchops:${url.database}`.slice(0, 64);
  const db = url.database;
  return {
    transactional: false,
    async introspect() {
      const parts: string[] = [];
      const [tables] = await conn.query(`SHOW FULL TABLES FROM ${q(db)}`) as [Row[], unknown];
      for (const r of tables) {
        const name = String(Object.values(r)[0]);
        const type = String(r.Table_type);
        if (type === "BASE TABLE") {
          const [c] = await conn.query(`SHOW CREATE TABLE ${q(db)}.${q(name)}`) as [Row[], unknown];
          parts.push(`${c[0]!["Create Table"]};`);
        } else if (type === "VIEW") {
          const [c] = await conn.query(`SHOW CREATE VIEW ${q(db)}.${q(name)}`) as [Row[], unknown];
          parts.push(`${c[0]!["Create View"]};`);
        }
      }
      const [triggers] = await conn.query(`SHOW TRIGGERS FROM ${q(db)}`) as [Row[], unknown];
      for (const t of triggers) {
        const [c] = await conn.query(`SHOW CREATE TRIGGER ${q(db)}.${q(String(t.Trigger))}`) as [Row[], unknown];
        const body = String(c[0]!["SQL Original Statement"]);
        parts.push(body.includes(";") ? `DELIMITER ;;\n${body};;\nDELIMITER ;` : `${body};`);
      }
      for (const kind of ["PROCEDURE", "FUNCTION"]) {
        const [rows] = await conn.query(`SHOW ${kind} STATUS WHERE Db = ?`, [db]) as [Row[], unknown];
        for (const r of rows) {
          const [c] = await conn.query(`SHOW CREATE ${kind} ${q(db)}.${q(String(r.Name))}`) as [Row[], unknown];
          const text = String(c[0]![kind === "PROCEDURE" ? "Create Procedure" : "Create Function"]);
          parts.push(text.includes(";") ? `DELIMITER ;;\n${text};;\nDELIMITER ;` : `${text};`);
        }
      }
      const [events] = await conn.query(`SHOW EVENTS FROM ${q(db)}`) as [Row[], unknown];
      for (const e of events) {
        const [c] = await conn.query(`SHOW CREATE EVENT ${q(db)}.${q(String(e.Name))}`) as [Row[], unknown];
        const text = String(c[0]!["Create Event"]);
        parts.push(text.includes(";") ? `DELIMITER ;;\n${text};;\nDELIMITER ;` : `${text};`);
      }
      return parts.join("\n");
    },
    async lock(timeoutSeconds) {
      const [rows] = await conn.query("SELECT GET_LOCK(?, ?) AS got", [lockName, timeoutSeconds]) as [Row[], unknown];
      if (Number(rows[0]!.got) !== 1) {
        throw new PatchopsError(
          "DbLocked",
          `another migration holds the lock "${lockName}" on "${url.display}" (waited ${timeoutSeconds} s)`,
        );
      }
    },
    async unlock() {
      await conn.query("SELECT RELEASE_LOCK(?)", [lockName]).catch(() => {});
    },
    async exec(sql) {
      await conn.query(`USE ${q(db)}`);
      await conn.query(sql);
    },
    async close() {
      await conn.end().catch(() => {});
    },
  };
}
