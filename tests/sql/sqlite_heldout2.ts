/**
 * A second HELD-OUT suite of SQLite schema changes (issue 15), written after
 * sqlite_heldout.ts passed, in shapes it had not tried: Laravel, Knex,
 * TypeORM, Drizzle, Sequelize and Alembic batch migrations, and what
 * `sqlite3 .schema` prints (IF NOT EXISTS, comments inside statements);
 * table rebuilds under foreign keys with rows on both sides, views and
 * triggers that must be made again after a rebuild, STRICT and WITHOUT ROWID
 * tables, generated columns, expression indexes, AUTOINCREMENT. Written
 * before it was run against patchops; sqlite_heldout2_test.ts runs each case
 * through the corpus runner in both directions.
 */

import type { SqliteCase } from "./sqlite_corpus.ts";

const cases: SqliteCase[] = [];
const add = (name: string, from: string, to: string, more?: Partial<SqliteCase>) =>
  cases.push({ name, from, to, ...more });

// --- Laravel (lower-case keywords, double quotes, varchar, "default '0'") ---
const laravelUsers = `create table "users" ("id" integer primary key autoincrement not null, "name" varchar not null,
  "email" varchar not null, "created_at" datetime, "updated_at" datetime);
create unique index "users_email_unique" on "users" ("email");`;
add(
  "laravel: $table->boolean('is_admin')->default(false) added",
  laravelUsers,
  laravelUsers.replace(
    `"updated_at" datetime);`,
    `"updated_at" datetime, "is_admin" tinyint(1) not null default '0');`,
  ),
  {
    data: `insert into "users" ("name", "email") values ('Ann', 'a@x'), ('Bob', 'b@x');`,
    check: `select "id", "name", "email" from "users" order by "id"`,
  },
);
add(
  "laravel: foreignId('user_id')->constrained()->cascadeOnDelete() on a new table",
  laravelUsers,
  `${laravelUsers}
create table "posts" ("id" integer primary key autoincrement not null, "user_id" integer not null, "title" varchar not null,
  foreign key("user_id") references "users"("id") on delete cascade);`,
  { data: `insert into "users" ("name", "email") values ('Ann', 'a@x');`, check: `select * from "users"` },
);
add(
  "laravel: ->nullable()->change() on a column with rows (rebuild)",
  `create table "orders" ("id" integer primary key autoincrement not null, "note" varchar not null, "total" numeric not null);`,
  `create table "orders" ("id" integer primary key autoincrement not null, "note" varchar, "total" numeric not null);`,
  { data: `insert into "orders" ("note", "total") values ('x', 9.5);`, check: `select * from "orders"` },
);

// --- Knex (backquoted names, `integer not null primary key autoincrement`) ---
add(
  "knex: backquoted table gets a column and an index",
  "CREATE TABLE `accounts` (`id` integer not null primary key autoincrement, `name` varchar(255), `balance` float);",
  "CREATE TABLE `accounts` (`id` integer not null primary key autoincrement, `name` varchar(255), `balance` float, " +
    "`currency` varchar(3) default 'EUR');\nCREATE INDEX `accounts_name_index` on `accounts` (`name`);",
  {
    data: "INSERT INTO `accounts` (`name`, `balance`) VALUES ('a', 1.5);",
    check: "SELECT `id`, `name`, `balance` FROM `accounts`",
  },
);
add(
  "knex: table.enu() CHECK gets a value (rebuild with rows)",
  "CREATE TABLE `jobs` (`id` integer not null primary key autoincrement, `state` text check (`state` in ('queued', 'done')));",
  "CREATE TABLE `jobs` (`id` integer not null primary key autoincrement, `state` text check (`state` in ('queued', 'done', 'failed')));",
  { data: "INSERT INTO `jobs` (`state`) VALUES ('done');", check: "SELECT * FROM `jobs`" },
);

// --- TypeORM (named UNIQUE and FK constraints; rebuilds through "temporary_" tables) ---
add(
  "typeorm: @ManyToOne onDelete SET NULL changed to CASCADE, rows on both sides",
  `CREATE TABLE "author" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar NOT NULL,
  CONSTRAINT "UQ_d3962fd11a54d87f927e84d1083" UNIQUE ("name"));
CREATE TABLE "book" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "title" varchar NOT NULL, "authorId" integer,
  CONSTRAINT "FK_66a4f0f47943a0d99c16ecf90b2" FOREIGN KEY ("authorId") REFERENCES "author" ("id") ON DELETE SET NULL ON UPDATE NO ACTION);`,
  `CREATE TABLE "author" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar NOT NULL,
  CONSTRAINT "UQ_d3962fd11a54d87f927e84d1083" UNIQUE ("name"));
CREATE TABLE "book" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "title" varchar NOT NULL, "authorId" integer,
  CONSTRAINT "FK_66a4f0f47943a0d99c16ecf90b2" FOREIGN KEY ("authorId") REFERENCES "author" ("id") ON DELETE CASCADE ON UPDATE NO ACTION);`,
  {
    data:
      `INSERT INTO "author" ("name") VALUES ('Le Guin'); INSERT INTO "book" ("title", "authorId") VALUES ('Earthsea', 1);`,
    check: `SELECT * FROM "book"`,
  },
);
add(
  "typeorm: a column type changed on the parent of a foreign key (rebuild under foreign_keys=ON)",
  `CREATE TABLE "category" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "code" integer NOT NULL);
CREATE TABLE "product" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "categoryId" integer,
  CONSTRAINT "FK_ff0c0301a95e517153df97f6812" FOREIGN KEY ("categoryId") REFERENCES "category" ("id") ON DELETE CASCADE);`,
  `CREATE TABLE "category" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "code" varchar NOT NULL);
CREATE TABLE "product" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "categoryId" integer,
  CONSTRAINT "FK_ff0c0301a95e517153df97f6812" FOREIGN KEY ("categoryId") REFERENCES "category" ("id") ON DELETE CASCADE);`,
  {
    data: `INSERT INTO "category" ("code") VALUES (7); INSERT INTO "product" ("categoryId") VALUES (1), (1);`,
    check: `SELECT (SELECT count(*) FROM "product") || ',' || (SELECT count(*) FROM "category")`,
  },
);

// --- Drizzle (backquotes, tabs, "--> statement-breakpoint") ---
add(
  "drizzle: new table with a unique index, statement breakpoints",
  "CREATE TABLE `users` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`name` text NOT NULL\n);\n",
  "CREATE TABLE `users` (\n\t`id` integer PRIMARY KEY NOT NULL,\n\t`name` text NOT NULL\n);\n--> statement-breakpoint\n" +
    "CREATE TABLE `sessions` (\n\t`id` text PRIMARY KEY NOT NULL,\n\t`user_id` integer NOT NULL,\n\t`expires_at` integer NOT NULL,\n" +
    "\tFOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade\n);\n--> statement-breakpoint\n" +
    "CREATE UNIQUE INDEX `sessions_user_id_unique` ON `sessions` (`user_id`);",
  { data: "INSERT INTO `users` VALUES (1, 'a');", check: "SELECT * FROM `users`" },
);
add(
  "drizzle: integer({ mode: 'timestamp' }) default (unixepoch()) added",
  "CREATE TABLE `posts` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`title` text\n);",
  "CREATE TABLE `posts` (\n\t`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n\t`title` text,\n" +
    "\t`created_at` integer DEFAULT (unixepoch()) NOT NULL\n);",
  { data: "INSERT INTO `posts` (`title`) VALUES ('t');", check: "SELECT `id`, `title` FROM `posts`" },
);

// --- Alembic batch_alter_table / Django ---
add(
  "alembic: batch_alter_table changes a named CHECK and keeps rows",
  `CREATE TABLE items (id INTEGER NOT NULL, qty INTEGER, PRIMARY KEY (id), CONSTRAINT ck_items_qty CHECK (qty >= 0));`,
  `CREATE TABLE items (id INTEGER NOT NULL, qty INTEGER, PRIMARY KEY (id), CONSTRAINT ck_items_qty CHECK (qty >= 0 AND qty < 1000));`,
  { data: "INSERT INTO items VALUES (1, 5), (2, 0);", check: "SELECT * FROM items ORDER BY id" },
);
add(
  "alembic: CHECK removed",
  `CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, price NUMERIC CHECK (price > 0));`,
  `CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, price NUMERIC);`,
  { data: "INSERT INTO items VALUES (1, 2.5);", check: "SELECT * FROM items" },
);
add(
  "django: ForeignKey DEFERRABLE INITIALLY DEFERRED on a rebuilt child",
  `CREATE TABLE "shop_customer" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(50) NOT NULL);
CREATE TABLE "shop_order" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "customer_id" bigint NOT NULL REFERENCES "shop_customer" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "shop_order_customer_id_1e4b5c2a" ON "shop_order" ("customer_id");`,
  `CREATE TABLE "shop_customer" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(50) NOT NULL);
CREATE TABLE "shop_order" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "customer_id" bigint NOT NULL REFERENCES "shop_customer" ("id") DEFERRABLE INITIALLY DEFERRED, "paid" bool NOT NULL DEFAULT 0 CHECK ("paid" IN (0, 1)));
CREATE INDEX "shop_order_customer_id_1e4b5c2a" ON "shop_order" ("customer_id");`,
  {
    data: `INSERT INTO "shop_customer" ("name") VALUES ('a'); INSERT INTO "shop_order" ("customer_id") VALUES (1);`,
    check: `SELECT "id", "customer_id" FROM "shop_order"`,
  },
);
add(
  "django: AlterField to a different type keeps the view over it",
  `CREATE TABLE "blog_entry" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "rating" integer NOT NULL);
CREATE VIEW "blog_top" AS SELECT "id", "rating" FROM "blog_entry" WHERE "rating" > 3;`,
  `CREATE TABLE "blog_entry" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "rating" real NOT NULL);
CREATE VIEW "blog_top" AS SELECT "id", "rating" FROM "blog_entry" WHERE "rating" > 3;`,
  { data: `INSERT INTO "blog_entry" ("rating") VALUES (4), (1);`, check: `SELECT * FROM "blog_top"` },
);

// --- rebuilds that must bring back what hangs on the table ---
add(
  "rebuild: a trigger on the rebuilt table is made again",
  `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, updated_at TEXT);
CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes BEGIN UPDATE notes SET updated_at = datetime('now') WHERE id = NEW.id; END;`,
  `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT);
CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes BEGIN UPDATE notes SET updated_at = datetime('now') WHERE id = NEW.id; END;`,
  { data: "INSERT INTO notes (body) VALUES ('a');", check: "SELECT id, body FROM notes" },
);
add(
  "rebuild: an index on an expression with COLLATE survives a column drop",
  `CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL, legacy TEXT);
CREATE UNIQUE INDEX tags_name_ci ON tags (lower(name) COLLATE NOCASE);`,
  `CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE UNIQUE INDEX tags_name_ci ON tags (lower(name) COLLATE NOCASE);`,
  { data: "INSERT INTO tags VALUES (1, 'a', 'x'), (2, 'B', NULL);", check: "SELECT id, name FROM tags", oneWay: true },
);
add(
  "rebuild: the parent of two children with rows, a column made NOT NULL",
  `CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE pets (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners (id) ON DELETE CASCADE);
CREATE TABLE vets (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL REFERENCES owners (id));`,
  `CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
CREATE TABLE pets (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners (id) ON DELETE CASCADE);
CREATE TABLE vets (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL REFERENCES owners (id));`,
  {
    data:
      "INSERT INTO owners VALUES (1, 'a'), (2, 'b'); INSERT INTO pets VALUES (1, 1), (2, 2); INSERT INTO vets VALUES (1, 2);",
    check:
      "SELECT (SELECT count(*) FROM pets) || ',' || (SELECT count(*) FROM vets) || ',' || (SELECT group_concat(name) FROM owners)",
  },
);

// --- STRICT, WITHOUT ROWID, generated, AUTOINCREMENT ---
add(
  "strict: INT column changed to REAL with rows",
  "CREATE TABLE samples (id INTEGER PRIMARY KEY, v INT NOT NULL) STRICT;",
  "CREATE TABLE samples (id INTEGER PRIMARY KEY, v REAL NOT NULL) STRICT;",
  { data: "INSERT INTO samples VALUES (1, 3), (2, 4);", check: "SELECT id, v + 0 FROM samples ORDER BY id" },
);
add(
  "without rowid: composite primary key gains a column",
  "CREATE TABLE kv (ns TEXT NOT NULL, k TEXT NOT NULL, v BLOB, PRIMARY KEY (ns, k)) WITHOUT ROWID;",
  "CREATE TABLE kv (ns TEXT NOT NULL, k TEXT NOT NULL, ver INTEGER NOT NULL DEFAULT 0, v BLOB, PRIMARY KEY (ns, k, ver)) WITHOUT ROWID;",
  { data: "INSERT INTO kv (ns, k, v) VALUES ('a', 'b', x'00');", check: "SELECT ns, k, hex(v) FROM kv" },
);
add(
  "strict and without rowid together, a column added",
  "CREATE TABLE edges (src INTEGER NOT NULL, dst INTEGER NOT NULL, PRIMARY KEY (src, dst)) STRICT, WITHOUT ROWID;",
  "CREATE TABLE edges (src INTEGER NOT NULL, dst INTEGER NOT NULL, weight REAL, PRIMARY KEY (src, dst)) STRICT, WITHOUT ROWID;",
  { data: "INSERT INTO edges VALUES (1, 2), (2, 3);", check: "SELECT src, dst FROM edges ORDER BY src" },
);
add(
  "generated: STORED column added over rows (rebuild)",
  "CREATE TABLE lines (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, price REAL NOT NULL);",
  "CREATE TABLE lines (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, price REAL NOT NULL, total REAL GENERATED ALWAYS AS (qty * price) STORED);",
  { data: "INSERT INTO lines VALUES (1, 2, 1.5);", check: "SELECT id, qty, price FROM lines" },
);
add(
  "generated: VIRTUAL column dropped",
  "CREATE TABLE people (id INTEGER PRIMARY KEY, first TEXT, last TEXT, full TEXT AS (first || ' ' || last));",
  "CREATE TABLE people (id INTEGER PRIMARY KEY, first TEXT, last TEXT);",
  { data: "INSERT INTO people (id, first, last) VALUES (1, 'a', 'b');", check: "SELECT id, first, last FROM people" },
);
add(
  "autoincrement removed, rows and ids kept",
  "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT);",
  "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT);",
  {
    data: "INSERT INTO events (kind) VALUES ('a'), ('b'); DELETE FROM events WHERE id = 1;",
    check: "SELECT * FROM events",
  },
);

// --- sqlite3 .schema output ---
add(
  "sqlite3 .schema: IF NOT EXISTS tables, a column added",
  `CREATE TABLE IF NOT EXISTS "migrations" ("id" integer primary key autoincrement not null, "migration" varchar not null, "batch" integer not null);
CREATE TABLE IF NOT EXISTS "cache" ("key" varchar not null, "value" text not null, "expiration" integer not null, primary key ("key"));`,
  `CREATE TABLE IF NOT EXISTS "migrations" ("id" integer primary key autoincrement not null, "migration" varchar not null, "batch" integer not null);
CREATE TABLE IF NOT EXISTS "cache" ("key" varchar not null, "value" text not null, "expiration" integer not null, "tags" text, primary key ("key"));`,
  {
    data:
      `INSERT INTO "migrations" ("migration", "batch") VALUES ('init', 1); INSERT INTO "cache" VALUES ('k', 'v', 0);`,
    check: `SELECT "key", "value", "expiration" FROM "cache"`,
  },
);
add(
  "sqlite3 .schema: block comments and a view over two tables",
  `/* app schema v1 */
CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id), y TEXT);`,
  `/* app schema v2 */
CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id), y TEXT);
CREATE VIEW ab /* joined */ AS SELECT a.x, b.y FROM a JOIN b ON b.a_id = a.id;`,
);

// --- renames, indexes, FKs ---
add(
  "a column renamed that a trigger and an index use",
  `CREATE TABLE stock (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL DEFAULT 0);
CREATE INDEX stock_qty ON stock (qty);
CREATE TABLE stock_log (id INTEGER PRIMARY KEY, stock_id INTEGER, qty INTEGER);
CREATE TRIGGER stock_audit AFTER UPDATE ON stock BEGIN INSERT INTO stock_log (stock_id, qty) VALUES (NEW.id, NEW.qty); END;`,
  `CREATE TABLE stock (id INTEGER PRIMARY KEY, quantity INTEGER NOT NULL DEFAULT 0 -- @renamed from=qty
);
CREATE INDEX stock_qty ON stock (quantity);
CREATE TABLE stock_log (id INTEGER PRIMARY KEY, stock_id INTEGER, qty INTEGER);
CREATE TRIGGER stock_audit AFTER UPDATE ON stock BEGIN INSERT INTO stock_log (stock_id, qty) VALUES (NEW.id, NEW.quantity); END;`,
  { data: "INSERT INTO stock VALUES (1, 5);", check: "SELECT * FROM stock", oneWay: true },
);
add(
  "ON UPDATE CASCADE added to a table-level foreign key",
  `CREATE TABLE cities (code TEXT PRIMARY KEY);
CREATE TABLE offices (id INTEGER PRIMARY KEY, city TEXT, FOREIGN KEY (city) REFERENCES cities (code));`,
  `CREATE TABLE cities (code TEXT PRIMARY KEY);
CREATE TABLE offices (id INTEGER PRIMARY KEY, city TEXT, FOREIGN KEY (city) REFERENCES cities (code) ON UPDATE CASCADE);`,
  { data: "INSERT INTO cities VALUES ('BER'); INSERT INTO offices VALUES (1, 'BER');", check: "SELECT * FROM offices" },
);
add(
  "partial unique index added and an index made DESC",
  `CREATE TABLE invites (id INTEGER PRIMARY KEY, email TEXT, accepted_at TEXT, created_at TEXT);
CREATE INDEX invites_created ON invites (created_at);`,
  `CREATE TABLE invites (id INTEGER PRIMARY KEY, email TEXT, accepted_at TEXT, created_at TEXT);
CREATE INDEX invites_created ON invites (created_at DESC);
CREATE UNIQUE INDEX invites_open_email ON invites (email) WHERE accepted_at IS NULL;`,
);
add(
  "DEFAULT CURRENT_TIMESTAMP added to an existing column",
  "CREATE TABLE visits (id INTEGER PRIMARY KEY, at TEXT);",
  "CREATE TABLE visits (id INTEGER PRIMARY KEY, at TEXT DEFAULT CURRENT_TIMESTAMP);",
  { data: "INSERT INTO visits VALUES (1, '2024-01-01');", check: "SELECT * FROM visits" },
);
add(
  "FTS5 external-content table and its sync triggers added",
  "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, body TEXT);",
  `CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, body TEXT);
CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, content='docs', content_rowid='id');
CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN
  INSERT INTO docs_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER docs_ad AFTER DELETE ON docs BEGIN
  INSERT INTO docs_fts(docs_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;`,
  { data: "INSERT INTO docs VALUES (1, 't', 'b');", check: "SELECT * FROM docs" },
);

add(
  "sqlite3 .schema: a trigger whose body holds comments",
  "CREATE TABLE carts (id INTEGER PRIMARY KEY, items INTEGER NOT NULL DEFAULT 0, touched TEXT);",
  `CREATE TABLE carts (id INTEGER PRIMARY KEY, items INTEGER NOT NULL DEFAULT 0, touched TEXT);
CREATE TRIGGER carts_touch AFTER UPDATE OF items ON carts
BEGIN
  -- keep the last change time (UTC)
  UPDATE carts SET touched = datetime('now') /* not localtime */ WHERE id = NEW.id;
END;`,
  { data: "INSERT INTO carts (items) VALUES (1);", check: "SELECT id, items FROM carts" },
);

add(
  "a view with line comments inside, its filter changed",
  `CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL, state TEXT);
CREATE VIEW open_orders AS -- what the dashboard lists
  SELECT id, total /* gross */ FROM orders
  WHERE state = 'open';`,
  `CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL, state TEXT);
CREATE VIEW open_orders AS -- what the dashboard lists
  SELECT id, total /* gross */ FROM orders
  WHERE state IN ('open', /* held orders too */ 'held');`,
  { data: "INSERT INTO orders VALUES (1, 9.5, 'open');", check: "SELECT * FROM orders" },
);

/** The second held-out cases. */
export const SQLITE_HELDOUT2: readonly SqliteCase[] = cases;
