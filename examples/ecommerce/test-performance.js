// test-performance.js
const DatabaseTest = require('./db-test');

async function testQueryPerformance() {
  const db = new DatabaseTest();

  try {
    // The seed document passes 'user-1' here, which is not a valid UUID.
    // Look up a real user id instead (deterministic: the lowest id).
    const someUser = await db.pool.query(
      'SELECT id FROM users ORDER BY id LIMIT 1'
    );
    if (someUser.rows.length === 0) {
      throw new Error('No users found: is the seed data loaded?');
    }
    const userId = someUser.rows[0].id;

    const queries = [
      {
        name: 'Simple select',
        sql: 'SELECT * FROM users WHERE id = $1',
        params: [userId]
      },
      {
        name: 'Join query',
        sql: `
          SELECT u.*, COUNT(o.id) as order_count
          FROM users u
          LEFT JOIN orders o ON o.user_id = u.id
          GROUP BY u.id
          LIMIT 100
        `,
        params: []
      },
      {
        name: 'Aggregation',
        sql: `
          SELECT DATE_TRUNC('month', created_at) as month,
                 SUM(total) as revenue
          FROM orders
          GROUP BY 1
          ORDER BY 1
        `,
        params: []
      }
    ];

    const results = [];

    for (const query of queries) {
      // Warm up
      await db.pool.query(query.sql, query.params);

      // Measure
      const times = [];
      for (let i = 0; i < 100; i++) {
        const start = process.hrtime.bigint();
        await db.pool.query(query.sql, query.params);
        const end = process.hrtime.bigint();
        times.push(Number(end - start) / 1_000_000); // ms
      }

      times.sort((a, b) => a - b);
      results.push({
        name: query.name,
        p50: times[50],
        p95: times[95],
        p99: times[99]
      });
    }

    console.log('Performance Results:');
    console.table(results);
  } finally {
    await db.close();
  }
}

testQueryPerformance().catch((e) => {
  console.error(`Performance test FAILED: ${e.message}`);
  process.exitCode = 1;
});
