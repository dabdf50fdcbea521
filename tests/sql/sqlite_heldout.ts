/**
 * A HELD-OUT suite of SQLite schema changes, of the kind real projects ship:
 * the DDL that Rails, Django, Prisma, Android Room and Electron apps leave in
 * their SQLite databases (their quoting, their constraint forms), one
 * realistic migration each. Written before the code was looked at for them,
 * and kept apart from sqlite_corpus.ts (written by the same people as the
 * code); sqlite_heldout_test.ts runs each through the corpus runner in both
 * directions. Renames carry patchops' `-- @renamed from=...` annotation,
 * which is how a schema file says a column or table was renamed.
 */

import type { SqliteCase } from "./sqlite_corpus.ts";

const cases: SqliteCase[] = [];
const add = (name: string, from: string, to: string, more?: Partial<SqliteCase>) =>
  cases.push({ name, from, to, ...more });

// --- Rails (ActiveRecord's sqlite3 adapter: double-quoted names, varchar, datetime(6)) ---
const railsUsers =
  `CREATE TABLE "users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "email" varchar DEFAULT '' NOT NULL,
  "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL);
CREATE UNIQUE INDEX "index_users_on_email" ON "users" ("email");`;
const railsMeta = `CREATE TABLE IF NOT EXISTS "schema_migrations" ("version" varchar NOT NULL PRIMARY KEY);
CREATE TABLE IF NOT EXISTS "ar_internal_metadata" ("key" varchar NOT NULL PRIMARY KEY, "value" varchar,
  "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL);`;
const railsRows = {
  data:
    `INSERT INTO "users" VALUES (1, 'a@example.com', '2024-01-01', '2024-01-01'), (2, 'b@example.com', '2024-01-02', '2024-01-02');`,
  check: `SELECT "id", "email" FROM "users" ORDER BY "id"`,
};
add(
  "rails: add_column name",
  railsMeta + railsUsers,
  railsMeta + railsUsers.replace(`NOT NULL);`, `NOT NULL, "name" varchar);`),
  railsRows,
);
add(
  "rails: add_reference with foreign key and index",
  railsUsers + `CREATE TABLE "posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "title" varchar);`,
  railsUsers +
    `CREATE TABLE "posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "title" varchar, "user_id" integer,
  CONSTRAINT "fk_rails_5b5ddfd518" FOREIGN KEY ("user_id") REFERENCES "users" ("id"));
CREATE INDEX "index_posts_on_user_id" ON "posts" ("user_id");`,
  {
    data: railsRows.data + `INSERT INTO "posts" ("id", "title") VALUES (1, 'Hello');`,
    check: `SELECT "id", "title" FROM "posts"`,
  },
);
add(
  "rails: change_column_default",
  `CREATE TABLE "articles" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "status" varchar DEFAULT 'draft');`,
  `CREATE TABLE "articles" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "status" varchar DEFAULT 'published');`,
  { data: `INSERT INTO "articles" ("id") VALUES (1);`, check: `SELECT "id", "status" FROM "articles"` },
);
add(
  "rails: change_column_null false with a default",
  `CREATE TABLE "articles" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "views" integer);`,
  `CREATE TABLE "articles" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "views" integer DEFAULT 0 NOT NULL);`,
  { data: `INSERT INTO "articles" VALUES (1, 5);`, check: `SELECT "id", "views" FROM "articles"` },
);
add(
  "rails: rename_column with its index",
  `CREATE TABLE "posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "title" varchar);
CREATE INDEX "index_posts_on_title" ON "posts" ("title");`,
  `CREATE TABLE "posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "headline" varchar -- @renamed from=title
);
CREATE INDEX "index_posts_on_headline" ON "posts" ("headline");`,
  { data: `INSERT INTO "posts" VALUES (1, 'First');`, check: `SELECT * FROM "posts"`, oneWay: true },
);
add(
  "rails: remove_column",
  `CREATE TABLE "posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "title" varchar, "legacy_flag" boolean DEFAULT 0);`,
  `CREATE TABLE "posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "title" varchar);`,
  { data: `INSERT INTO "posts" VALUES (1, 'First', 1);`, check: `SELECT "id", "title" FROM "posts"` },
);
add(
  "rails: drop_table",
  railsUsers +
    `CREATE TABLE "sessions" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "session_id" varchar NOT NULL, "data" text);
CREATE UNIQUE INDEX "index_sessions_on_session_id" ON "sessions" ("session_id");`,
  railsUsers,
  railsRows,
);
add(
  "rails: add_index on two columns, remove_index",
  `CREATE TABLE "events" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "kind" varchar, "at" datetime(6));
CREATE INDEX "index_events_on_kind" ON "events" ("kind");`,
  `CREATE TABLE "events" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "kind" varchar, "at" datetime(6));
CREATE INDEX "index_events_on_kind_and_at" ON "events" ("kind", "at");`,
);
add(
  "rails: change_column type varchar to text",
  `CREATE TABLE "comments" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "body" varchar(255));`,
  `CREATE TABLE "comments" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "body" text);`,
  { data: `INSERT INTO "comments" VALUES (1, 'hi');`, check: `SELECT * FROM "comments"` },
);

// --- Django (integer NOT NULL PRIMARY KEY AUTOINCREMENT, DEFERRABLE INITIALLY DEFERRED foreign keys) ---
const djangoQuestion =
  `CREATE TABLE "polls_question" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "question_text" varchar(200) NOT NULL, "pub_date" datetime NOT NULL);`;
const djangoChoice =
  `CREATE TABLE "polls_choice" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "choice_text" varchar(200) NOT NULL, "votes" integer NOT NULL, "question_id" bigint NOT NULL REFERENCES "polls_question" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "polls_choice_question_id_c5b4b260" ON "polls_choice" ("question_id");`;
const djangoRows = {
  data: `INSERT INTO "polls_question" VALUES (1, 'What?', '2024-01-01');`,
  check: `SELECT "id", "question_text" FROM "polls_question"`,
};
add("django: CreateModel with a DEFERRABLE foreign key", djangoQuestion, djangoQuestion + djangoChoice, djangoRows);
add(
  "django: AddField with a default",
  djangoQuestion + djangoChoice,
  djangoQuestion +
    djangoChoice.replace(`"votes" integer NOT NULL,`, `"votes" integer NOT NULL, "is_active" bool NOT NULL DEFAULT 1,`),
  {
    data: djangoRows.data + `INSERT INTO "polls_choice" VALUES (1, 'Yes', 3, 1);`,
    check: `SELECT "id", "choice_text", "votes", "question_id" FROM "polls_choice"`,
  },
);
add(
  "django: AlterField max_length on a table others reference",
  djangoQuestion + djangoChoice,
  djangoQuestion.replace(`varchar(200)`, `varchar(500)`) + djangoChoice,
  {
    data: djangoRows.data + `INSERT INTO "polls_choice" VALUES (1, 'Yes', 3, 1);`,
    check: `SELECT q."id", c."id" FROM "polls_question" q JOIN "polls_choice" c ON c."question_id" = q."id"`,
  },
);
add(
  "django: unique_together as a table constraint",
  `CREATE TABLE "app_membership" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "person_id" bigint NOT NULL, "group_id" bigint NOT NULL);`,
  `CREATE TABLE "app_membership" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "person_id" bigint NOT NULL, "group_id" bigint NOT NULL, UNIQUE ("person_id", "group_id"));`,
  {
    data: `INSERT INTO "app_membership" VALUES (1, 1, 1), (2, 1, 2);`,
    check: `SELECT * FROM "app_membership" ORDER BY "id"`,
  },
);
add(
  "django: CheckConstraint named",
  `CREATE TABLE "app_person" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "age" integer NOT NULL);`,
  `CREATE TABLE "app_person" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "age" integer NOT NULL, CONSTRAINT "age_gte_18" CHECK ("age" >= 18));`,
  { data: `INSERT INTO "app_person" VALUES (1, 30);`, check: `SELECT * FROM "app_person"` },
);
add(
  "django: positive integer field check",
  `CREATE TABLE "shop_item" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "stock" integer NOT NULL);`,
  `CREATE TABLE "shop_item" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "stock" integer unsigned NOT NULL CHECK ("stock" >= 0));`,
  { data: `INSERT INTO "shop_item" VALUES (1, 4);`, check: `SELECT * FROM "shop_item"` },
);
add(
  "django: many-to-many through table",
  djangoQuestion +
    `CREATE TABLE "polls_tag" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(50) NOT NULL UNIQUE);`,
  djangoQuestion +
    `CREATE TABLE "polls_tag" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(50) NOT NULL UNIQUE);
CREATE TABLE "polls_question_tags" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "question_id" bigint NOT NULL REFERENCES "polls_question" ("id") DEFERRABLE INITIALLY DEFERRED, "tag_id" bigint NOT NULL REFERENCES "polls_tag" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE UNIQUE INDEX "polls_question_tags_question_id_tag_id_1f4bd5ac_uniq" ON "polls_question_tags" ("question_id", "tag_id");
CREATE INDEX "polls_question_tags_question_id_4ae1d1b1" ON "polls_question_tags" ("question_id");
CREATE INDEX "polls_question_tags_tag_id_5cd8ac53" ON "polls_question_tags" ("tag_id");`,
  djangoRows,
);
add(
  "django: on_delete CASCADE becomes SET NULL",
  djangoQuestion +
    `CREATE TABLE "polls_vote" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "question_id" bigint NULL REFERENCES "polls_question" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);`,
  djangoQuestion +
    `CREATE TABLE "polls_vote" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "question_id" bigint NULL REFERENCES "polls_question" ("id") ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED);`,
  { data: djangoRows.data + `INSERT INTO "polls_vote" VALUES (1, 1);`, check: `SELECT * FROM "polls_vote"` },
);

// --- Prisma (PascalCase quoted names, DATETIME, BOOLEAN false, named FK constraints) ---
const prismaUser = `CREATE TABLE "User" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" TEXT NOT NULL,
    "name" TEXT
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");`;
const prismaRows = {
  data: `INSERT INTO "User" VALUES (1, 'a@b.c', 'Ann');`,
  check: `SELECT "id", "email" FROM "User"`,
};
add(
  "prisma: new model with a cascading relation",
  prismaUser,
  prismaUser + `
CREATE TABLE "Post" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "title" TEXT NOT NULL,
    "published" BOOLEAN NOT NULL DEFAULT false,
    "authorId" INTEGER NOT NULL,
    CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);`,
  prismaRows,
);
add(
  "prisma: timestamps added (RedefineTables)",
  prismaUser,
  prismaUser.replace(
    `"name" TEXT`,
    `"name" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME`,
  ),
  prismaRows,
);
add(
  "prisma: enum-as-text default changed",
  `CREATE TABLE "Account" ("id" TEXT NOT NULL PRIMARY KEY, "role" TEXT NOT NULL DEFAULT 'USER');`,
  `CREATE TABLE "Account" ("id" TEXT NOT NULL PRIMARY KEY, "role" TEXT NOT NULL DEFAULT 'MEMBER');`,
  { data: `INSERT INTO "Account" VALUES ('cuid1', 'ADMIN');`, check: `SELECT * FROM "Account"` },
);
add(
  "prisma: implicit many-to-many table",
  `CREATE TABLE "Category" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL);
CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL);`,
  `CREATE TABLE "Category" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL);
CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL);
CREATE TABLE "_CategoryToPost" (
    "A" INTEGER NOT NULL,
    "B" INTEGER NOT NULL,
    CONSTRAINT "_CategoryToPost_A_fkey" FOREIGN KEY ("A") REFERENCES "Category" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "_CategoryToPost_B_fkey" FOREIGN KEY ("B") REFERENCES "Post" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "_CategoryToPost_AB_unique" ON "_CategoryToPost"("A", "B");
CREATE INDEX "_CategoryToPost_B_index" ON "_CategoryToPost"("B");`,
);
add(
  "prisma: optional field made required with a default",
  `CREATE TABLE "Profile" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "bio" TEXT);`,
  `CREATE TABLE "Profile" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "bio" TEXT NOT NULL DEFAULT '');`,
  { data: `INSERT INTO "Profile" VALUES (1, 'hello');`, check: `SELECT * FROM "Profile"` },
);
add(
  "prisma: @@index added and a field renamed",
  `CREATE TABLE "Order" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "customer" TEXT NOT NULL, "total" DECIMAL NOT NULL);`,
  `CREATE TABLE "Order" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "customerName" TEXT NOT NULL, -- @renamed from=customer
    "total" DECIMAL NOT NULL);
CREATE INDEX "Order_customerName_idx" ON "Order"("customerName");`,
  { data: `INSERT INTO "Order" VALUES (1, 'Bo', 9.5);`, check: `SELECT * FROM "Order"`, oneWay: true },
);

// --- Android Room (backticks, IF NOT EXISTS, PRIMARY KEY(`x`) as a table constraint) ---
const roomMaster = "CREATE TABLE IF NOT EXISTS room_master_table (id INTEGER PRIMARY KEY,identity_hash TEXT);";
const roomUser =
  "CREATE TABLE IF NOT EXISTS `User` (`uid` INTEGER NOT NULL, `first_name` TEXT, `last_name` TEXT, PRIMARY KEY(`uid`));";
const roomRows = { data: "INSERT INTO `User` VALUES (1, 'Ada', 'Lovelace');", check: "SELECT * FROM `User`" };
add(
  "room: column added with a default (AutoMigration)",
  roomMaster + roomUser,
  roomMaster +
    "CREATE TABLE IF NOT EXISTS `User` (`uid` INTEGER NOT NULL, `first_name` TEXT, `last_name` TEXT, `age` INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(`uid`));",
  { data: roomRows.data, check: "SELECT `uid`, `first_name`, `last_name` FROM `User`" },
);
add(
  "room: index added",
  roomMaster + roomUser,
  roomMaster + roomUser + "CREATE INDEX IF NOT EXISTS `index_User_last_name` ON `User` (`last_name`);",
  roomRows,
);
add(
  "room: entity with a cascading foreign key",
  roomMaster + roomUser,
  roomMaster + roomUser +
    "CREATE TABLE IF NOT EXISTS `Book` (`id` INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, `title` TEXT NOT NULL, `user_id` INTEGER NOT NULL, FOREIGN KEY(`user_id`) REFERENCES `User`(`uid`) ON UPDATE NO ACTION ON DELETE CASCADE );" +
    "CREATE INDEX IF NOT EXISTS `index_Book_user_id` ON `Book` (`user_id`);",
  roomRows,
);
add(
  "room: table renamed (@RenameTable)",
  roomMaster + roomUser,
  roomMaster +
    "CREATE TABLE IF NOT EXISTS `Person` ( -- @renamed from=User\n `uid` INTEGER NOT NULL, `first_name` TEXT, `last_name` TEXT, PRIMARY KEY(`uid`));",
  { data: roomRows.data, oneWay: true },
);
add(
  "room: composite primary key changed",
  "CREATE TABLE IF NOT EXISTS `PlaylistSong` (`playlistId` INTEGER NOT NULL, `songId` INTEGER NOT NULL, PRIMARY KEY(`playlistId`, `songId`));",
  "CREATE TABLE IF NOT EXISTS `PlaylistSong` (`playlistId` INTEGER NOT NULL, `songId` INTEGER NOT NULL, `position` INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(`playlistId`, `position`));",
  {
    data: "INSERT INTO `PlaylistSong` VALUES (1, 10), (1, 11);",
    check: "SELECT `playlistId`, `songId` FROM `PlaylistSong` ORDER BY 2",
    oneWay: true,
    // As written, both rows get position 0, which the new key forbids: SQLite refuses the copy and the
    // migration rolls back. Kept as written (held out) and counted as not converged.
    knownLimit: "the rows break the new primary key, so the copy fails and everything rolls back",
  },
);
add(
  "room: column dropped (DeleteColumn)",
  roomMaster + roomUser,
  roomMaster + "CREATE TABLE IF NOT EXISTS `User` (`uid` INTEGER NOT NULL, `first_name` TEXT, PRIMARY KEY(`uid`));",
  { data: roomRows.data, check: "SELECT `uid`, `first_name` FROM `User`" },
);

// --- Electron and desktop apps (bracket quoting, WITHOUT ROWID, STRICT, FTS, ON CONFLICT) ---
const chinookArtist =
  `CREATE TABLE [Artist] ([ArtistId] INTEGER NOT NULL, [Name] NVARCHAR(120), CONSTRAINT [PK_Artist] PRIMARY KEY ([ArtistId]));`;
const chinookAlbum =
  `CREATE TABLE [Album] ([AlbumId] INTEGER NOT NULL, [Title] NVARCHAR(160) NOT NULL, [ArtistId] INTEGER NOT NULL,
  CONSTRAINT [PK_Album] PRIMARY KEY ([AlbumId]),
  FOREIGN KEY ([ArtistId]) REFERENCES [Artist] ([ArtistId]) ON DELETE NO ACTION ON UPDATE NO ACTION);`;
const chinookRows = {
  data: `INSERT INTO [Artist] VALUES (1, 'AC/DC'); INSERT INTO [Album] VALUES (1, 'For Those About To Rock', 1);`,
  check: `SELECT [AlbumId], [Title] FROM [Album]`,
};
add(
  "brackets: index added on a Chinook-style table",
  chinookArtist + chinookAlbum,
  chinookArtist + chinookAlbum + `CREATE INDEX [IFK_AlbumArtistId] ON [Album] ([ArtistId]);`,
  chinookRows,
);
add(
  "brackets: column added",
  chinookArtist + chinookAlbum,
  chinookArtist +
    chinookAlbum.replace(`[ArtistId] INTEGER NOT NULL,`, `[ArtistId] INTEGER NOT NULL, [ReleaseYear] INTEGER,`),
  chinookRows,
);
add(
  "electron: key-value store with ON CONFLICT REPLACE gets a column",
  "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);",
  "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB, updated INTEGER);",
  { data: "INSERT INTO ItemTable VALUES ('a', x'01');", check: "SELECT key, value FROM ItemTable" },
);
add(
  "electron: WITHOUT ROWID cache table gets an expiry column",
  "CREATE TABLE cache (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;",
  "CREATE TABLE cache (k TEXT PRIMARY KEY, v BLOB NOT NULL, expires_at INTEGER) WITHOUT ROWID;",
  { data: "INSERT INTO cache VALUES ('x', x'aa');", check: "SELECT k, v FROM cache" },
);
add(
  "electron: table made WITHOUT ROWID",
  "CREATE TABLE tags (name TEXT PRIMARY KEY NOT NULL, color TEXT);",
  "CREATE TABLE tags (name TEXT PRIMARY KEY NOT NULL, color TEXT) WITHOUT ROWID;",
  { data: "INSERT INTO tags VALUES ('red', '#f00');", check: "SELECT * FROM tags" },
);
add(
  "strict: STRICT table with an ANY column gets a column",
  "CREATE TABLE events (id INTEGER PRIMARY KEY, payload ANY, ts INTEGER NOT NULL) STRICT;",
  "CREATE TABLE events (id INTEGER PRIMARY KEY, payload ANY, ts INTEGER NOT NULL, kind TEXT NOT NULL DEFAULT 'misc') STRICT;",
  { data: "INSERT INTO events VALUES (1, 'x', 100);", check: "SELECT id, payload, ts FROM events" },
);
add(
  "strict: table made STRICT",
  "CREATE TABLE metrics (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL);",
  "CREATE TABLE metrics (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL) STRICT;",
  { data: "INSERT INTO metrics VALUES (1, 'cpu', 0.5);", check: "SELECT * FROM metrics" },
);
add(
  "electron: full-text search table added (FTS5)",
  "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT);",
  "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT);\nCREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content='notes', content_rowid='id');",
  {
    data: "INSERT INTO notes VALUES (1, 'a', 'b');",
    check: "SELECT * FROM notes",
  },
);
add(
  "generated: VIRTUAL full name added",
  "CREATE TABLE people (id INTEGER PRIMARY KEY, first TEXT NOT NULL, last TEXT NOT NULL);",
  "CREATE TABLE people (id INTEGER PRIMARY KEY, first TEXT NOT NULL, last TEXT NOT NULL, full_name TEXT GENERATED ALWAYS AS (first || ' ' || last) VIRTUAL);",
  { data: "INSERT INTO people VALUES (1, 'Grace', 'Hopper');", check: "SELECT id, first, last FROM people" },
);
add(
  "generated: STORED expression changed",
  "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT, body_len INTEGER GENERATED ALWAYS AS (length(body)) STORED);",
  "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT, body_len INTEGER GENERATED ALWAYS AS (length(trim(body))) STORED);",
  { data: "INSERT INTO docs (id, body) VALUES (1, ' x ');", check: "SELECT id, body FROM docs" },
);
add(
  "generated: json_extract column from a JSON document",
  "CREATE TABLE items (id INTEGER PRIMARY KEY, data TEXT NOT NULL DEFAULT '{}');",
  "CREATE TABLE items (id INTEGER PRIMARY KEY, data TEXT NOT NULL DEFAULT '{}', kind TEXT AS (json_extract(data, '$.kind')));",
  { data: `INSERT INTO items VALUES (1, '{"kind":"a"}');`, check: "SELECT id, data FROM items" },
);
add(
  "autoincrement added to a primary key",
  "CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT);",
  "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);",
  { data: "INSERT INTO jobs VALUES (7, 'x');", check: "SELECT * FROM jobs" },
);
add(
  "collate nocase on an email column and its index",
  "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\nCREATE UNIQUE INDEX accounts_email ON accounts (email);",
  "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL COLLATE NOCASE);\nCREATE UNIQUE INDEX accounts_email ON accounts (email COLLATE NOCASE);",
  { data: "INSERT INTO accounts VALUES (1, 'A@x.org');", check: "SELECT * FROM accounts" },
);
add(
  "partial index predicate changed (soft delete)",
  "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, deleted_at TEXT);\nCREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;",
  "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, deleted_at TEXT, archived INTEGER NOT NULL DEFAULT 0);\nCREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL AND archived = 0;",
  { data: "INSERT INTO users (id, email) VALUES (1, 'a');", check: "SELECT id, email FROM users" },
);
add(
  "expression index on lower(email)",
  "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
  "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nCREATE INDEX users_lower_email ON users (lower(email));",
  { data: "INSERT INTO users VALUES (1, 'A');", check: "SELECT * FROM users" },
);
add(
  "expression index on json_extract",
  "CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT);",
  "CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT);\nCREATE INDEX events_type ON events (json_extract(data, '$.type'));",
);
add(
  "view changed to show one more column",
  "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, deleted_at TEXT);\nCREATE VIEW active_users AS SELECT id, email FROM users WHERE deleted_at IS NULL;",
  "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, deleted_at TEXT);\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE deleted_at IS NULL;",
);
add(
  "updated_at trigger changed with a WHEN clause",
  `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT);
CREATE TRIGGER notes_updated_at AFTER UPDATE ON notes FOR EACH ROW BEGIN UPDATE notes SET updated_at = CURRENT_TIMESTAMP WHERE id = OLD.id; END;`,
  `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT);
CREATE TRIGGER notes_updated_at AFTER UPDATE ON notes FOR EACH ROW WHEN OLD.updated_at IS NEW.updated_at BEGIN UPDATE notes SET updated_at = CURRENT_TIMESTAMP WHERE id = OLD.id; END;`,
  { data: "INSERT INTO notes (id, body) VALUES (1, 'x');", check: "SELECT id, body FROM notes" },
);
add(
  "CHECK with IN list gets one more value",
  "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('new', 'paid')));",
  "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('new', 'paid', 'Shipped')));",
  { data: "INSERT INTO orders VALUES (1, 'paid');", check: "SELECT * FROM orders" },
);
add(
  "case-differing table name in the target",
  "CREATE TABLE Users (id INTEGER PRIMARY KEY, name TEXT);",
  "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);",
  { data: "INSERT INTO Users VALUES (1, 'a');", check: "SELECT id, name FROM users" },
);
add(
  "case-differing column name in the target",
  "CREATE TABLE contacts (id INTEGER PRIMARY KEY, Email TEXT);",
  "CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT);",
  { data: "INSERT INTO contacts VALUES (1, 'a@b');", check: "SELECT * FROM contacts" },
);
add(
  "defaults from functions: datetime('now') and strftime",
  "CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT);",
  "CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT, at TEXT NOT NULL DEFAULT (datetime('now')), epoch INTEGER DEFAULT (strftime('%s','now')));",
  { data: "INSERT INTO log VALUES (1, 'boot');", check: "SELECT id, msg FROM log" },
);
add(
  "string default with an apostrophe and a float default",
  "CREATE TABLE settings (id INTEGER PRIMARY KEY, greeting TEXT);",
  "CREATE TABLE settings (id INTEGER PRIMARY KEY, greeting TEXT DEFAULT 'it''s here', ratio REAL DEFAULT 1.5);",
  { data: "INSERT INTO settings VALUES (1, 'hi');", check: "SELECT id, greeting FROM settings" },
);
add(
  "typeless columns get one more",
  "CREATE TABLE kv(k, v);",
  "CREATE TABLE kv(k, v, note);",
  { data: "INSERT INTO kv VALUES ('a', 1);", check: "SELECT k, v FROM kv" },
);
add(
  "keyword table names: order and group",
  `CREATE TABLE "order" (id INTEGER PRIMARY KEY, total REAL);`,
  `CREATE TABLE "order" (id INTEGER PRIMARY KEY, total REAL, "group" TEXT);
CREATE TABLE "group" (id INTEGER PRIMARY KEY, name TEXT);`,
  { data: `INSERT INTO "order" VALUES (1, 2.5);`, check: `SELECT id, total FROM "order"` },
);
add(
  "names with spaces",
  `CREATE TABLE "order items" ("item id" INTEGER PRIMARY KEY, "qty" INTEGER);`,
  `CREATE TABLE "order items" ("item id" INTEGER PRIMARY KEY, "qty" INTEGER NOT NULL DEFAULT 1);
CREATE INDEX "order items by qty" ON "order items" ("qty");`,
  { data: `INSERT INTO "order items" VALUES (1, 3);`, check: `SELECT * FROM "order items"` },
);
add(
  "INSTEAD OF trigger on a view",
  `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
CREATE VIEW item_names AS SELECT id, name FROM items;`,
  `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
CREATE VIEW item_names AS SELECT id, name FROM items;
CREATE TRIGGER item_names_insert INSTEAD OF INSERT ON item_names BEGIN INSERT INTO items (name) VALUES (NEW.name); END;`,
);
add(
  "several changes at once: table, foreign key, index, view",
  "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
  `CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL, bio TEXT);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE, title TEXT NOT NULL);
CREATE INDEX books_author ON books (author_id);
CREATE VIEW author_counts AS SELECT a.id, a.name, count(b.id) AS n FROM authors a LEFT JOIN books b ON b.author_id = a.id GROUP BY a.id;`,
  { data: "INSERT INTO authors VALUES (1, 'Le Guin');", check: "SELECT id, name FROM authors" },
);
add(
  "table-level foreign key made DEFERRABLE INITIALLY DEFERRED",
  `CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, FOREIGN KEY (parent_id) REFERENCES parent (id));`,
  `CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, FOREIGN KEY (parent_id) REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);`,
  { data: "INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1);", check: "SELECT * FROM child" },
);
add(
  "comments and blank lines in the schema file",
  `-- app schema v1
CREATE TABLE notes (
  id INTEGER PRIMARY KEY, -- row id
  body TEXT /* markdown */
);`,
  `-- app schema v2
CREATE TABLE notes (
  id INTEGER PRIMARY KEY, -- row id
  body TEXT, /* markdown */
  pinned INTEGER NOT NULL DEFAULT 0 -- 0 or 1
);`,
  { data: "INSERT INTO notes VALUES (1, 'x');", check: "SELECT id, body FROM notes" },
);

export const SQLITE_HELDOUT: SqliteCase[] = cases;
