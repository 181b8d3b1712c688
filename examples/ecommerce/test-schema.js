// test-schema.js: the "schema" test of vers-integration.yaml.
//
// Run after all three checkpoints (schema.sql, seed.sql and
// production-anonymized.dump):
//   npm run test:schema
//
// Checks that the four e-commerce tables and analytics_events exist with
// their expected columns and types, that the foreign keys are in place, that
// the row counts are the seeded ones, and that no row is orphaned.
// Extra columns (e.g. from a migration) are allowed.
const DatabaseTest = require('./db-test');

const NAME = 'schema';

const EXPECTED_COLUMNS = {
  users: {
    id: 'uuid',
    email: 'character varying',
    name: 'character varying',
    created_at: 'timestamp without time zone'
  },
  products: {
    id: 'uuid',
    name: 'character varying',
    price: 'numeric',
    stock: 'integer'
  },
  orders: {
    id: 'uuid',
    user_id: 'uuid',
    total: 'numeric',
    created_at: 'timestamp without time zone'
  },
  order_items: {
    id: 'uuid',
    order_id: 'uuid',
    product_id: 'uuid',
    quantity: 'integer',
    price: 'numeric'
  },
  analytics_events: {
    id: 'bigint',
    user_id: 'uuid',
    event_type: 'character varying',
    path: 'character varying',
    occurred_at: 'timestamp without time zone'
  }
};

// table.column -> referenced table.column
const EXPECTED_FKS = [
  'orders.user_id -> users.id',
  'order_items.order_id -> orders.id',
  'order_items.product_id -> products.id',
  'analytics_events.user_id -> users.id'
];

// seed.sql (4 tables) and production-anonymized.dump (analytics_events).
const EXPECTED_COUNTS = {
  users: 2000,
  products: 500,
  orders: 5000,
  order_items: 12000,
  analytics_events: 3000
};

async function testSchema() {
  const db = new DatabaseTest();
  const problems = [];
  try {
    // 1. Tables and columns.
    for (const [table, columns] of Object.entries(EXPECTED_COLUMNS)) {
      const result = await db.pool.query(`
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = $1
      `, [table]);
      if (result.rows.length === 0) {
        problems.push(`table ${table} is missing`);
        continue;
      }
      const actual = Object.fromEntries(
        result.rows.map((r) => [r.column_name, r.data_type]));
      for (const [column, type] of Object.entries(columns)) {
        if (!(column in actual)) {
          problems.push(`${table}.${column} is missing`);
        } else if (actual[column] !== type) {
          problems.push(`${table}.${column} has type ${actual[column]}, ` +
            `expected ${type}`);
        }
      }
      console.log(`table ${table}: ${result.rows.length} columns`);
    }

    // 2. Foreign keys (single-column ones, which is all this schema has).
    const fks = await db.pool.query(`
      SELECT c.conrelid::regclass::text AS tbl, a.attname AS col,
             c.confrelid::regclass::text AS ref_tbl, af.attname AS ref_col
      FROM pg_constraint c
      JOIN pg_attribute a
        ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      JOIN pg_attribute af
        ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
      WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
    `);
    const actualFks = new Set(fks.rows.map(
      (r) => `${r.tbl}.${r.col} -> ${r.ref_tbl}.${r.ref_col}`));
    for (const fk of EXPECTED_FKS) {
      if (!actualFks.has(fk)) {
        problems.push(`foreign key ${fk} is missing`);
      }
    }
    console.log(`foreign keys: ${[...actualFks].sort().join(', ')}`);

    // 3. Row counts, only for tables that exist (missing ones are reported).
    if (problems.length === 0) {
      for (const [table, expected] of Object.entries(EXPECTED_COUNTS)) {
        const result = await db.pool.query(
          `SELECT COUNT(*)::int AS n FROM ${table}`);
        const n = result.rows[0].n;
        console.log(`rows ${table}: ${n}`);
        if (n !== expected) {
          problems.push(`${table} has ${n} rows, expected ${expected}`);
        }
      }

      // 4. No orphans.
      await db.verifyIntegrity();
    }

    if (problems.length > 0) {
      throw new Error(problems.join('; '));
    }
  } finally {
    await db.close();
  }
}

testSchema().then(() => {
  console.log(`${NAME}: passed`);
}).catch((e) => {
  console.error(`${NAME}: FAILED: ${e.message}`);
  process.exitCode = 1;
});
