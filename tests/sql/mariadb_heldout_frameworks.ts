/**
 * A second HELD-OUT set of MariaDB schema changes (after
 * mariadb_heldout.ts, whose cases it does not repeat): the DDL that Rails,
 * Laravel, Django and Doctrine migrations leave in MariaDB 10.11 for
 * changes the first set does not cover, written from those frameworks'
 * idioms (their generated names, their column forms) before running them.
 * mariadb_heldout_frameworks_test.ts runs each through the same check as
 * the first set (_guarded_heldout_mysql.ts): the plain plan must run and
 * reach the target, then the guarded script in both forms, twice and
 * resumed after every statement, rows kept.
 */

import type { HeldOutCase } from "./mariadb_heldout.ts";

const cases: HeldOutCase[] = [];
const add = (name: string, from: string, to: string, more?: Partial<HeldOutCase>) =>
  cases.push({ name, from, to, ...more });

// ---------------------------------------------------------------- Rails
const railsAccounts = `CREATE TABLE \`accounts\` (
  \`id\` int NOT NULL AUTO_INCREMENT,
  \`name\` varchar(255) NOT NULL,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;`;
const railsProjects = `CREATE TABLE \`projects\` (
  \`id\` int NOT NULL AUTO_INCREMENT,
  \`account_id\` int NOT NULL,
  \`title\` varchar(255) DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`index_projects_on_account_id\` (\`account_id\`),
  CONSTRAINT \`fk_rails_a4e1a1b0c2\` FOREIGN KEY (\`account_id\`) REFERENCES \`accounts\` (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;`;
const railsRows = {
  data: "INSERT INTO accounts (name) VALUES ('acme'), ('umbrella');" +
    "INSERT INTO projects (account_id, title) VALUES (1, 'road'), (2, 'lab'), (1, 'bridge');",
  check:
    "SELECT p.id, p.account_id, p.title, a.name FROM projects p JOIN accounts a ON a.id = p.account_id ORDER BY p.id",
};

add(
  "rails: change_column :accounts, :id, :bigint (and projects.account_id) under an existing foreign key",
  railsAccounts + railsProjects,
  railsAccounts.replace("`id` int NOT NULL AUTO_INCREMENT", "`id` bigint NOT NULL AUTO_INCREMENT") +
    railsProjects.replace("`account_id` int NOT NULL", "`account_id` bigint NOT NULL"),
  { ...railsRows, oneWay: true },
);
add(
  "rails 7.1: add_index :projects, [:account_id, :created_at], order: { created_at: :desc }",
  railsAccounts + railsProjects,
  railsAccounts + railsProjects.replace(
    "`title` varchar(255) DEFAULT NULL,",
    "`title` varchar(255) DEFAULT NULL,\n  `created_at` datetime(6) DEFAULT NULL,",
  ).replace(
    "KEY `index_projects_on_account_id` (`account_id`),",
    "KEY `index_projects_on_account_id` (`account_id`),\n  KEY `index_projects_on_account_id_and_created_at` (`account_id`,`created_at` DESC),",
  ),
  railsRows,
);
add(
  "rails 7: t.virtual :slug, type: :string, as: \"LOWER(REPLACE(title, ' ', '-'))\", stored: true, with a unique index",
  railsAccounts + railsProjects,
  railsAccounts + railsProjects.replace(
    "`title` varchar(255) DEFAULT NULL,",
    "`title` varchar(255) DEFAULT NULL,\n  `slug` varchar(255) GENERATED ALWAYS AS (lower(replace(`title`,' ','-'))) STORED,",
  ).replace(
    "KEY `index_projects_on_account_id` (`account_id`),",
    "KEY `index_projects_on_account_id` (`account_id`),\n  UNIQUE KEY `index_projects_on_account_id_and_slug` (`account_id`,`slug`),",
  ),
  railsRows,
);
add(
  'rails 6.1: add_check_constraint :projects, "char_length(title) > 2", name: "title_length"',
  railsAccounts + railsProjects,
  railsAccounts + railsProjects.replace(
    "CONSTRAINT `fk_rails_a4e1a1b0c2`",
    "CONSTRAINT `title_length` CHECK (char_length(`title`) > 2),\n  CONSTRAINT `fk_rails_a4e1a1b0c2`",
  ),
  railsRows,
);
add(
  "rails: remove_reference :projects, :account, foreign_key: true, index: true",
  railsAccounts + railsProjects,
  railsAccounts + `CREATE TABLE \`projects\` (
  \`id\` int NOT NULL AUTO_INCREMENT,
  \`title\` varchar(255) DEFAULT NULL,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;`,
  { data: railsRows.data, check: "SELECT id, title FROM projects ORDER BY id", oneWay: true },
);

// ---------------------------------------------------------------- Laravel
const lvPosts = `CREATE TABLE \`posts\` (
  \`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
  \`title\` varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL,
  \`status\` enum('draft','published') COLLATE utf8mb4_unicode_ci NOT NULL DEFAULT 'draft',
  \`created_at\` timestamp NULL DEFAULT NULL,
  \`updated_at\` timestamp NULL DEFAULT NULL,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;`;
const lvRows = {
  data: "INSERT INTO posts (title, status) VALUES ('one', 'draft'), ('two', 'published');",
  check: "SELECT id, title, status FROM posts ORDER BY id",
};

add(
  "laravel: $table->enum('status', ['draft', 'published', 'archived'])->default('draft')->change()",
  lvPosts,
  lvPosts.replace("enum('draft','published')", "enum('draft','published','archived')"),
  { ...lvRows, oneWay: true },
);
add(
  "laravel: $table->timestamp('published_at')->useCurrent()->useCurrentOnUpdate()",
  lvPosts,
  lvPosts.replace(
    "`updated_at` timestamp NULL DEFAULT NULL,",
    "`updated_at` timestamp NULL DEFAULT NULL,\n  `published_at` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),",
  ),
  lvRows,
);
add(
  "laravel: $table->foreignUuid('team_id')->constrained() on a Schema::create with uuid('id')->primary()",
  lvPosts,
  `CREATE TABLE \`teams\` (
  \`id\` char(36) COLLATE utf8mb4_unicode_ci NOT NULL,
  \`name\` varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;` +
    lvPosts.replace(
      "PRIMARY KEY (`id`)",
      "`team_id` char(36) COLLATE utf8mb4_unicode_ci DEFAULT NULL,\n  PRIMARY KEY (`id`),\n" +
        "  KEY `posts_team_id_foreign` (`team_id`),\n" +
        "  CONSTRAINT `posts_team_id_foreign` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`)",
    ),
  lvRows,
);
add(
  "laravel: $table->dropUnique('users_email_unique'); $table->unique(['tenant_id', 'email'])",
  `CREATE TABLE \`users\` (
  \`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
  \`tenant_id\` bigint unsigned NOT NULL DEFAULT 1,
  \`email\` varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`users_email_unique\` (\`email\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;`,
  `CREATE TABLE \`users\` (
  \`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
  \`tenant_id\` bigint unsigned NOT NULL DEFAULT 1,
  \`email\` varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`users_tenant_id_email_unique\` (\`tenant_id\`,\`email\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;`,
  {
    data: "INSERT INTO users (email) VALUES ('a@x.org'), ('b@x.org');",
    check: "SELECT id, tenant_id, email FROM users ORDER BY id",
  },
);
add(
  "laravel: $table->string('email')->collation('utf8mb4_bin')->change() (case-sensitive logins)",
  lvPosts,
  lvPosts.replace(
    "`title` varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL",
    "`title` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
  ),
  lvRows,
);

// ---------------------------------------------------------------- Django
const djTask = `CREATE TABLE \`todo_task\` (
  \`id\` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY,
  \`title\` varchar(200) NOT NULL,
  \`created\` datetime(6) NOT NULL
);`;
const djRows = {
  data: "INSERT INTO todo_task (title, created) VALUES ('a', '2024-01-01'), ('b', '2024-01-02');",
  check: "SELECT id, title, created FROM todo_task ORDER BY id",
};

add(
  "django: AddField(PositiveIntegerField(default=0)) (Django writes a column CHECK (`rank` >= 0))",
  djTask,
  djTask.replace(
    "`created` datetime(6) NOT NULL",
    "`created` datetime(6) NOT NULL,\n  `rank` integer UNSIGNED DEFAULT 0 NOT NULL CHECK (`rank` >= 0)",
  ),
  djRows,
);
add(
  "django: AddIndex(Index(fields=['-created'], name='todo_task_created_desc'))",
  djTask,
  djTask.replace(
    "`created` datetime(6) NOT NULL",
    "`created` datetime(6) NOT NULL,\n  KEY `todo_task_created_desc` (`created` DESC)",
  ),
  djRows,
);
add(
  "django: AddConstraint(UniqueConstraint(fields=['owner', 'title'], name='unique_owner_title')) with a new FK",
  "CREATE TABLE `auth_user` (`id` int AUTO_INCREMENT NOT NULL PRIMARY KEY, `username` varchar(150) NOT NULL UNIQUE);" +
    djTask,
  "CREATE TABLE `auth_user` (`id` int AUTO_INCREMENT NOT NULL PRIMARY KEY, `username` varchar(150) NOT NULL UNIQUE);" +
    `CREATE TABLE \`todo_task\` (
  \`id\` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY,
  \`title\` varchar(200) NOT NULL,
  \`created\` datetime(6) NOT NULL,
  \`owner_id\` integer NULL,
  CONSTRAINT \`unique_owner_title\` UNIQUE (\`owner_id\`, \`title\`),
  CONSTRAINT \`todo_task_owner_id_3c5ab3f5_fk_auth_user_id\` FOREIGN KEY (\`owner_id\`) REFERENCES \`auth_user\` (\`id\`)
);`,
  {
    data: "INSERT INTO auth_user (username) VALUES ('ann');" + djRows.data,
    check: djRows.check,
  },
);
add(
  "django: AlterField(ForeignKey(null=False)) on a nullable FK column after a backfill",
  "CREATE TABLE `auth_user` (`id` int AUTO_INCREMENT NOT NULL PRIMARY KEY, `username` varchar(150) NOT NULL UNIQUE);" +
    `CREATE TABLE \`todo_task\` (\`id\` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, \`owner_id\` integer NULL,
  CONSTRAINT \`todo_task_owner_id_fk\` FOREIGN KEY (\`owner_id\`) REFERENCES \`auth_user\` (\`id\`));`,
  "CREATE TABLE `auth_user` (`id` int AUTO_INCREMENT NOT NULL PRIMARY KEY, `username` varchar(150) NOT NULL UNIQUE);" +
    `CREATE TABLE \`todo_task\` (\`id\` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, \`owner_id\` integer NOT NULL,
  CONSTRAINT \`todo_task_owner_id_fk\` FOREIGN KEY (\`owner_id\`) REFERENCES \`auth_user\` (\`id\`));`,
  {
    data: "INSERT INTO auth_user (username) VALUES ('ann'); INSERT INTO todo_task (owner_id) VALUES (1), (1);",
    check: "SELECT id, owner_id FROM todo_task ORDER BY id",
  },
);

// ---------------------------------------------------------------- Doctrine / Symfony
const dcProduct = `CREATE TABLE product (id INT AUTO_INCREMENT NOT NULL, name VARCHAR(255) NOT NULL,
  price NUMERIC(10, 2) NOT NULL, PRIMARY KEY(id)) DEFAULT CHARACTER SET utf8mb4 COLLATE \`utf8mb4_unicode_ci\` ENGINE = InnoDB;`;
const dcRows = {
  data: "INSERT INTO product (name, price) VALUES ('pen', 1.50), ('ink', 7.25);",
  check: "SELECT id, name, price FROM product ORDER BY id",
};

add(
  "doctrine: ADD created_at DATETIME NOT NULL COMMENT '(DC2Type:datetime_immutable)', then CHANGE to DEFAULT NULL",
  dcProduct,
  dcProduct.replace(
    "price NUMERIC(10, 2) NOT NULL,",
    "price NUMERIC(10, 2) NOT NULL, created_at DATETIME DEFAULT NULL COMMENT '(DC2Type:datetime_immutable)',",
  ),
  dcRows,
);
add(
  "doctrine: OneToOne (UNIQUE INDEX UNIQ_ + FK_) to a new product_detail table",
  dcProduct,
  `CREATE TABLE product_detail (id INT AUTO_INCREMENT NOT NULL, body LONGTEXT DEFAULT NULL, PRIMARY KEY(id))
  DEFAULT CHARACTER SET utf8mb4 COLLATE \`utf8mb4_unicode_ci\` ENGINE = InnoDB;` +
    dcProduct.replace(
      "price NUMERIC(10, 2) NOT NULL, PRIMARY KEY(id))",
      "price NUMERIC(10, 2) NOT NULL, detail_id INT DEFAULT NULL, UNIQUE INDEX UNIQ_D34A04AD2D6DE4F0 (detail_id), PRIMARY KEY(id))",
    ) +
    "ALTER TABLE product ADD CONSTRAINT FK_D34A04AD2D6DE4F0 FOREIGN KEY (detail_id) REFERENCES product_detail (id);",
  dcRows,
);
add(
  "doctrine: column renamed in the entity (DROP old, ADD new in doctrine:migrations:diff, kept as a rename here)",
  dcProduct,
  dcProduct.replace("name VARCHAR(255) NOT NULL,", "title VARCHAR(255) NOT NULL, -- @renamed from=name\n "),
  { data: dcRows.data, check: "SELECT id, price FROM product ORDER BY id", oneWay: true },
);

// ---------------------------------------------------------------- Harder shapes of the same frameworks
add(
  "rails: utf8 to utf8mb4 conversion of two tables joined by a varchar foreign key (countries.code)",
  `CREATE TABLE countries (code varchar(2) NOT NULL, name varchar(100) NOT NULL, PRIMARY KEY (code))
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;
CREATE TABLE addresses (id int NOT NULL AUTO_INCREMENT, country_code varchar(2) NOT NULL, PRIMARY KEY (id),
  KEY index_addresses_on_country_code (country_code),
  CONSTRAINT fk_rails_8d2a6c1f3e FOREIGN KEY (country_code) REFERENCES countries (code))
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci;`,
  `CREATE TABLE countries (code varchar(2) NOT NULL, name varchar(100) NOT NULL, PRIMARY KEY (code))
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE addresses (id int NOT NULL AUTO_INCREMENT, country_code varchar(2) NOT NULL, PRIMARY KEY (id),
  KEY index_addresses_on_country_code (country_code),
  CONSTRAINT fk_rails_8d2a6c1f3e FOREIGN KEY (country_code) REFERENCES countries (code))
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;`,
  {
    data: "INSERT INTO countries VALUES ('DE', 'Deutschland'), ('FR', 'France');" +
      "INSERT INTO addresses (country_code) VALUES ('DE'), ('FR'), ('DE');",
    check:
      "SELECT a.id, a.country_code, c.name FROM addresses a JOIN countries c ON c.code = a.country_code ORDER BY a.id",
  },
);
add(
  "laravel: $table->id() added to a pivot table whose composite primary key becomes a unique key",
  `CREATE TABLE \`role_user\` (
  \`role_id\` bigint unsigned NOT NULL,
  \`user_id\` bigint unsigned NOT NULL,
  PRIMARY KEY (\`role_id\`,\`user_id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;`,
  `CREATE TABLE \`role_user\` (
  \`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
  \`role_id\` bigint unsigned NOT NULL,
  \`user_id\` bigint unsigned NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`role_user_role_id_user_id_unique\` (\`role_id\`,\`user_id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;`,
  {
    data: "INSERT INTO role_user VALUES (1, 1), (1, 2), (2, 1);",
    check: "SELECT role_id, user_id FROM role_user ORDER BY role_id, user_id",
  },
);
add(
  "rails 7: add_column :users, :settings, :json, default: {}, null: false (MariaDB: LONGTEXT + json_valid)",
  "CREATE TABLE `users` (`id` bigint NOT NULL AUTO_INCREMENT, `email` varchar(255) NOT NULL, PRIMARY KEY (`id`));",
  `CREATE TABLE \`users\` (\`id\` bigint NOT NULL AUTO_INCREMENT, \`email\` varchar(255) NOT NULL,
  \`settings\` json NOT NULL DEFAULT '{}', PRIMARY KEY (\`id\`));`,
  {
    data: "INSERT INTO users (email) VALUES ('a@x.org');",
    check: "SELECT id, email FROM users",
    between: 'UPDATE users SET settings = \'{"theme": "dark"}\'',
    kept: "SELECT id, settings FROM users",
  },
);
add(
  "laravel (utf8mb4 on old MySQL): $table->index([DB::raw('email(191)')]) prefix index, later a full index",
  `CREATE TABLE \`subscribers\` (\`id\` bigint unsigned NOT NULL AUTO_INCREMENT, \`email\` varchar(255) NOT NULL,
  PRIMARY KEY (\`id\`), KEY \`subscribers_email_index\` (\`email\`(191)));`,
  `CREATE TABLE \`subscribers\` (\`id\` bigint unsigned NOT NULL AUTO_INCREMENT, \`email\` varchar(255) NOT NULL,
  PRIMARY KEY (\`id\`), KEY \`subscribers_email_index\` (\`email\`));`,
  {
    data: "INSERT INTO subscribers (email) VALUES ('a@x.org'), ('b@x.org');",
    check: "SELECT id, email FROM subscribers",
  },
);
add(
  "laravel: $table->renameColumn('user_id', 'author_id') on a foreign key column, the key renamed too",
  `CREATE TABLE \`users\` (\`id\` bigint unsigned NOT NULL AUTO_INCREMENT, PRIMARY KEY (\`id\`));
CREATE TABLE \`articles\` (\`id\` bigint unsigned NOT NULL AUTO_INCREMENT, \`user_id\` bigint unsigned NOT NULL,
  PRIMARY KEY (\`id\`), KEY \`articles_user_id_foreign\` (\`user_id\`),
  CONSTRAINT \`articles_user_id_foreign\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\` (\`id\`));`,
  `CREATE TABLE \`users\` (\`id\` bigint unsigned NOT NULL AUTO_INCREMENT, PRIMARY KEY (\`id\`));
CREATE TABLE \`articles\` (\`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
  \`author_id\` bigint unsigned NOT NULL, -- @renamed from=user_id
  PRIMARY KEY (\`id\`),
  KEY \`articles_author_id_foreign\` (\`author_id\`), -- @renamed from=articles_user_id_foreign
  CONSTRAINT \`articles_author_id_foreign\` FOREIGN KEY (\`author_id\`) REFERENCES \`users\` (\`id\`));`,
  {
    data: "INSERT INTO users VALUES (1), (2); INSERT INTO articles (user_id) VALUES (1), (2), (1);",
    check: "SELECT id FROM articles ORDER BY id",
    oneWay: true,
  },
);

add(
  "rails: change_column :accounts, :id, :bigint and create_table :tasks { t.references :account, foreign_key: true }",
  railsAccounts,
  railsAccounts.replace("`id` int NOT NULL AUTO_INCREMENT", "`id` bigint NOT NULL AUTO_INCREMENT") +
    `CREATE TABLE \`tasks\` (
  \`id\` bigint NOT NULL AUTO_INCREMENT,
  \`account_id\` bigint NOT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`index_tasks_on_account_id\` (\`account_id\`),
  CONSTRAINT \`fk_rails_0b3e7f9d21\` FOREIGN KEY (\`account_id\`) REFERENCES \`accounts\` (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;`,
  { data: "INSERT INTO accounts (name) VALUES ('acme');", check: "SELECT id, name FROM accounts", oneWay: true },
);

/** The second held-out set, in the order written. */
export const MARIADB_HELDOUT_FRAMEWORKS: readonly HeldOutCase[] = cases;
