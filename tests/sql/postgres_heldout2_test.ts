/**
 * The second held-out PostgreSQL suite (postgres_heldout2.ts) on a real server: see _pg_heldout_suite.ts for what each test checks.
 *
 * Pass rate: `deno test --allow-all tests/sql/postgres_heldout2_test.ts`
 * (the line "held-out 2: ..." at the end).
 */

import { PG_HELDOUT2 } from "./postgres_heldout2.ts";
import { pgHeldoutSuite } from "./_pg_heldout_suite.ts";

pgHeldoutSuite("PostgreSQL held-out 2", "held-out 2", "ph2", PG_HELDOUT2);
