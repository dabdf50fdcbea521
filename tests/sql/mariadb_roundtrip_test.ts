/**
 * Every diff proven on a real server: database A is created from `from`, B
 * from `to`; the diff is applied to A; A's tables must then equal B's, and
 * diffing A's exported schema against `to` must give nothing. Each case also
 * runs in reverse. Rows inserted before must survive.
 */

import assert from "node:assert/strict";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import {
  columnsAndRows,
  type Conn,
  connect,
  exportSchema,
  HAVE_MYSQL,
  keyOrderInsensitive,
  loadScript,
  runIn,
  showObjects,
  showTables,
  withDatabases,
} from "./_mariadb.ts";
import { CORPUS, type RoundTripCase as Case } from "./mariadb_corpus.ts";

const CASES: Case[] = [
  {
    name: "create and drop tables",
    from: "CREATE TABLE bigdata (data bigint);",
    to: `CREATE TABLE users (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(40) DEFAULT NULL,
      created_at datetime NOT NULL);`,
  },
  {
    name: "add columns in the middle and at the front, keeping rows",
    from: "CREATE TABLE t (id int PRIMARY KEY, b varchar(10));",
    to:
      "CREATE TABLE t (first_col int DEFAULT 7, id int PRIMARY KEY, a varchar(20) NOT NULL DEFAULT 'x', b varchar(10));",
    data: "INSERT INTO t (id, b) VALUES (1, 'one'), (2, 'two');",
    check: "SELECT id, b FROM t ORDER BY id",
    oneWay: true,
  },
  {
    name: "modify types, nullability, defaults and comments",
    from: `CREATE TABLE t (id int PRIMARY KEY, a varchar(10), b int NOT NULL, c decimal(5,2) DEFAULT '1.5',
      d datetime, e enum('x','y') DEFAULT 'x');`,
    to: `CREATE TABLE t (id int PRIMARY KEY, a varchar(100) NOT NULL DEFAULT '' COMMENT 'widened', b bigint NOT NULL,
      c decimal(8,3) DEFAULT 2.25, d datetime(3) DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      e enum('x','y','z') DEFAULT 'y');`,
    data: "INSERT INTO t (id, a, b, c, e) VALUES (1, 'abc', 5, 1.25, 'y');",
    check: "SELECT id, a, b, ROUND(c * 100) AS c100, e FROM t",
    oneWay: true,
  },
  {
    name: "reorder columns",
    from: "CREATE TABLE t (a int, b int, c int, d int);",
    to: "CREATE TABLE t (d int, b int, a int, c int);",
    data: "INSERT INTO t VALUES (1,2,3,4);",
    check: "SELECT a, b, c, d FROM t",
  },
  {
    name: "rename a column by annotation",
    from: "CREATE TABLE t (id int PRIMARY KEY, old_name varchar(20));",
    to: `CREATE TABLE t (
      id int PRIMARY KEY,
      new_name varchar(20) -- @renamed from=old_name
    );`,
    data: "INSERT INTO t VALUES (1, 'kept');",
    check: "SELECT * FROM t",
    oneWay: true,
  },
  {
    name: "rename a table by annotation",
    from: "CREATE TABLE old_t (id int PRIMARY KEY, v int);",
    to: `CREATE TABLE new_t ( -- @renamed from=old_t
      id int PRIMARY KEY, v int);`,
    data: "INSERT INTO old_t VALUES (1, 42);",
    oneWay: true,
  },
  {
    name: "rename an index by annotation",
    from: "CREATE TABLE t (a int, KEY old_idx (a));",
    to: `CREATE TABLE t (a int,
      KEY new_idx (a) -- @renamed from=old_idx
    );`,
    oneWay: true,
  },
  {
    name: "indexes: add, drop, change, unique, prefix, desc, fulltext, comment",
    from: "CREATE TABLE t (a int, b varchar(100), c text, d int, KEY ka (a), KEY kd (d), UNIQUE KEY ub (b));",
    to: `CREATE TABLE t (a int, b varchar(100), c text, d int, KEY ka (a, d), UNIQUE KEY ub (b(20)),
      KEY kb (b(10) , a DESC) COMMENT 'prefix', FULLTEXT KEY ft (c), KEY (d));`,
  },
  {
    name: "primary keys: add, drop, change with auto increment",
    from: "CREATE TABLE a (id bigint NOT NULL, n varchar(20)); CREATE TABLE b (id bigint NOT NULL PRIMARY KEY, n int);",
    to: `CREATE TABLE a (id bigint NOT NULL, n varchar(20), PRIMARY KEY (id));
      CREATE TABLE b (id bigint NOT NULL AUTO_INCREMENT, n int NOT NULL, PRIMARY KEY (id, n));`,
  },
  {
    name: "foreign keys: add, drop, change actions, implicit indexes",
    from: `CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE q (id int PRIMARY KEY);
      CREATE TABLE c (id int PRIMARY KEY, p_id int, q_id int, CONSTRAINT fk_p FOREIGN KEY (p_id) REFERENCES p (id));`,
    to: `CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE q (id int PRIMARY KEY);
      CREATE TABLE c (id int PRIMARY KEY, p_id int, q_id int,
        CONSTRAINT fk_p FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE,
        FOREIGN KEY (q_id) REFERENCES q (id) ON UPDATE SET NULL);`,
  },
  {
    name: "new tables referencing each other are created in order",
    from: "",
    // A dump-style file: children before parents, with foreign key checks off while it loads.
    to: `SET FOREIGN_KEY_CHECKS=0;
      CREATE TABLE child (id int PRIMARY KEY, parent_id int, FOREIGN KEY (parent_id) REFERENCES parent (id));
      CREATE TABLE parent (id int PRIMARY KEY, owner_id int);
      CREATE TABLE owner (id int PRIMARY KEY, parent_id int, CONSTRAINT o_p FOREIGN KEY (parent_id) REFERENCES parent (id));
      SET FOREIGN_KEY_CHECKS=1;`,
  },
  {
    name: "check constraints: named, unnamed, column level",
    from: "CREATE TABLE t (a int CHECK (a > 0), b int, CONSTRAINT c1 CHECK (b < 10));",
    to: "CREATE TABLE t (a int CHECK (a >= 0), b int, CONSTRAINT c1 CHECK (b < 100), CHECK (a <> b));",
  },
  {
    name: "generated columns: add, change expression, stored and virtual",
    from: "CREATE TABLE t (a int, b int AS (a + 1) VIRTUAL);",
    to: "CREATE TABLE t (a int, b int AS (a * 2) VIRTUAL, c varchar(20) GENERATED ALWAYS AS (concat(a, 'x')) STORED);",
    data: "INSERT INTO t (a) VALUES (3);",
    check: "SELECT a FROM t",
  },
  {
    name: "table options: comment, row format, engine",
    from: "CREATE TABLE t (id int) ENGINE=InnoDB COMMENT='old';",
    to: "CREATE TABLE t (id int) ENGINE=InnoDB ROW_FORMAT=DYNAMIC COMMENT='都道府県マスター';",
  },
  {
    name: "charsets and collations: inherited, explicit, table default",
    from: "CREATE TABLE t (a varchar(10), b varchar(10) CHARACTER SET latin1) DEFAULT CHARSET=utf8mb4;",
    to: `CREATE TABLE t (a varchar(10) COLLATE utf8mb4_bin, b varchar(10) CHARACTER SET utf8mb4, c text)
      DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;`,
  },
  {
    name: "types and defaults the server spells differently",
    from: "",
    to: `CREATE TABLE t (a int(11), b BOOLEAN DEFAULT false, c tinyint(1) DEFAULT 1, d INTEGER DEFAULT '0',
      e double DEFAULT 1.50, f char DEFAULT 'a', g year(4), h timestamp NULL DEFAULT NULL, i bit(1) DEFAULT b'1',
      j json, k set('a','b') DEFAULT 'a,b', l datetime DEFAULT now(), m varchar(36) DEFAULT uuid(), n numeric(5),
      o float, p mediumtext, q varbinary(16), r blob, s bigint unsigned zerofill);`,
  },
  {
    name: "views and dropping a view",
    from: "CREATE TABLE t (a int, b int); CREATE VIEW v_old AS SELECT a FROM t;",
    to: "CREATE TABLE t (a int, b int); CREATE VIEW v_new AS SELECT a, b FROM t WHERE a > 1;",
    oneWay: true,
  },
  {
    name: "views the server rewrites: qualified columns, aliases, joins, security",
    from: "CREATE TABLE t (a int, b int); CREATE TABLE u (id int, t_a int);",
    to: `CREATE TABLE t (a int, b int); CREATE TABLE u (id int, t_a int);
      CREATE VIEW v1 AS SELECT a, b FROM t WHERE a > 1;
      CREATE VIEW v2 AS select u.id as id, t.b as bee from (t join u on ((t.a = u.t_a)));
      CREATE VIEW v3 AS SELECT count(*) AS n, max(b) FROM t GROUP BY a;
      CREATE SQL SECURITY INVOKER VIEW v4 AS SELECT 'xxx' AS name, 1 + 2 AS three;`,
  },
  {
    name: "triggers: create, change, drop",
    from: `CREATE TABLE t (a int, b int);
      CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.b = NEW.a;
      CREATE TRIGGER t_bu BEFORE UPDATE ON t FOR EACH ROW SET NEW.b = 0;`,
    to: `CREATE TABLE t (a int, b int);
      CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.b = NEW.a * 2;
      CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW SET @last = NEW.a;`,
  },
  {
    name: "indexes and keys given by ALTER TABLE ... ADD and CREATE INDEX",
    from:
      `CREATE TABLE users (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(40), created_at datetime);
      ALTER TABLE users ADD UNIQUE INDEX index_name (name);`,
    to:
      `CREATE TABLE users (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(40), created_at datetime);
      ALTER TABLE users ADD INDEX index_name (name, created_at), ADD COLUMN note text;
      CREATE UNIQUE INDEX by_created ON users (created_at);
      CREATE TABLE posts (id int PRIMARY KEY, user_id BIGINT UNSIGNED);
      ALTER TABLE posts ADD CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users (id);`,
  },
  {
    name: "versioned comments and SET lines in a dump",
    from: "",
    to: `/*!40101 SET NAMES utf8mb4 */;
      SET FOREIGN_KEY_CHECKS=0;
      DROP TABLE IF EXISTS t;
      CREATE TABLE t (id int NOT NULL /*!50606 COMMENT 'hidden in a versioned comment' */, PRIMARY KEY (id))
        ENGINE=InnoDB /*!40101 DEFAULT CHARSET=latin1 */;`,
  },
];

async function applyAll(conn: Conn, db: string, from: string, to: string): Promise<void> {
  const diff = generateSchemaDiff(from, to, { dialect: "mariadb", allowDestructive: true });
  for (const c of diff.changes) {
    try {
      await runIn(conn, db, c.sql);
    } catch (err) {
      throw new Error(`server refused: ${c.sql}\n(${(err as Error).message})\nwhole diff:\n${diff.sql}`);
    }
  }
}

async function roundTrip(conn: Conn, c: Case, from: string, to: string, forward: boolean): Promise<void> {
  await withDatabases(conn, 2, async ([a, b]) => {
    if (from.trim()) await loadScript(a!, from);
    if (to.trim()) await loadScript(b!, to);
    let before: unknown;
    if (forward && c.data) await runIn(conn, a!, c.data);
    const values = async (q: string) => ((await conn.query(q))[0] as Record<string, unknown>[]).map(Object.values);
    if (forward && c.check) before = await values(c.check);
    await applyAll(conn, a!, from, to);
    const ta = await showTables(conn, a!);
    const tb = await showTables(conn, b!);
    assert.deepEqual([...ta.keys()].sort(), [...tb.keys()].sort(), "same tables");
    // Where only the case of a name changes, MySQL sees no change and keeps the old spelling.
    const spelling = (s: string) => c.caseOnly ? s.toLowerCase() : s;
    for (const [name, create] of tb) {
      assert.equal(
        spelling(keyOrderInsensitive(ta.get(name)!)),
        spelling(keyOrderInsensitive(create)),
        `table ${name}`,
      );
    }
    const objects = async (db: string) =>
      new Map([...await showObjects(conn, db)].map(([k, v]) => [spelling(k), spelling(v)]));
    assert.deepEqual(await objects(a!), await objects(b!), "same views, triggers and routines");
    if (forward && c.check) {
      await conn.query(`USE \`${a}\``);
      assert.deepEqual(await values(c.check), before, "rows survive");
    }
    const exported = await exportSchema(conn, a!);
    const again = generateSchemaDiff(exported, to, { dialect: "mariadb", allowDestructive: true });
    assert.equal(
      again.changes.length,
      0,
      `idempotent: exported schema still differs:\n${again.sql}\nexported:\n${exported}`,
    );
  });
}

/**
 * With the guard on (no --allow-destructive), only the statements printed
 * uncommented run: they must all run, no DROP TABLE or DROP COLUMN is among
 * them, and every table, column and row the database had is still there
 * (unless the target renames it).
 */
async function guarded(conn: Conn, c: Case): Promise<void> {
  await withDatabases(conn, 1, async ([a]) => {
    if (c.from.trim()) await loadScript(a!, c.from);
    const rows = c.guardData ?? c.data;
    if (rows) await runIn(conn, a!, rows);
    const before = await columnsAndRows(conn, a!);
    const diff = generateSchemaDiff(c.from, c.to, { dialect: "mariadb" });
    const safe = diff.changes.filter((x) => !x.destructive);
    for (const x of safe) {
      // A generated column dropped and added again loses nothing: its values come from the expression.
      const regenerated = /DROP COLUMN (`\w+`), ADD COLUMN \1 [^,]* GENERATED ALWAYS AS /.test(x.sql);
      if (!regenerated) {
        assert.doesNotMatch(x.sql, /\bDROP\s+(TABLE|COLUMN)\b/i, "a data-losing statement is not withheld");
      }
      try {
        await runIn(conn, a!, x.sql);
      } catch (err) {
        throw new Error(`the safe part does not run alone: ${x.sql}\n(${(err as Error).message})\n${diff.sql}`);
      }
    }
    const after = await columnsAndRows(conn, a!);
    const renamed = [...c.to.matchAll(/@renamed\s+from=(\w+)/g)].map((m) => m[1]!);
    for (const [key, value] of before) {
      if (renamed.some((r) => key.split(/[. ]/).includes(r))) continue;
      assert.ok(after.has(key), `${key} survives with the guard on:\n${diff.sql}`);
      if (key.endsWith(" rows")) assert.equal(after.get(key), value, `${key} with the guard on`);
    }
  });
}

for (const c of [...CASES, ...CORPUS]) {
  Deno.test({
    name: `sql diff round trip on MariaDB: ${c.name}${c.knownLimit ? ` (known limit: ${c.knownLimit})` : ""}`,
    ignore: !HAVE_MYSQL,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const conn = await connect();
      try {
        const all = async () => {
          await roundTrip(conn, c, c.from, c.to, true);
          if (!c.oneWay) await roundTrip(conn, c, c.to, c.from, false);
          await guarded(conn, c);
        };
        // A known limit runs too, and must still fail: the day it converges, this says so.
        if (c.knownLimit !== undefined) await assert.rejects(all(), Error, `fixed? ${c.knownLimit}`);
        else await all();
      } finally {
        await conn.end();
      }
    },
  });
}
