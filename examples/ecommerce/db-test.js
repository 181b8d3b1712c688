// db-test.js
const { Pool } = require('pg');

class DatabaseTest {
  constructor() {
    // Defaults match the seed document (localhost:5432, database app).
    // PGHOST / PGPORT / PGDATABASE override them when set, so the same
    // scripts can run against a test server or a per-branch database.
    this.pool = new Pool({
      host: process.env.PGHOST || 'localhost',
      port: process.env.PGPORT ? parseInt(process.env.PGPORT, 10) : 5432,
      database: process.env.PGDATABASE || 'app',
      user: 'postgres',
      password: 'postgres'
    });
  }

  async getTableCounts() {
    const tables = ['users', 'products', 'orders', 'order_items'];
    const counts = {};

    for (const table of tables) {
      const result = await this.pool.query(
        `SELECT COUNT(*) as count FROM ${table}`
      );
      counts[table] = parseInt(result.rows[0].count);
    }

    return counts;
  }

  async executeInTransaction(fn) {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    } finally {
      client.release();
    }
  }

  // Throws if any row references a missing parent. queryable defaults to the
  // pool; pass a client to check the state inside an open transaction.
  async verifyIntegrity(queryable = this.pool) {
    // Check foreign key integrity
    const orphanOrders = await queryable.query(`
      SELECT o.id FROM orders o
      LEFT JOIN users u ON o.user_id = u.id
      WHERE u.id IS NULL
    `);

    if (orphanOrders.rows.length > 0) {
      throw new Error(`Found ${orphanOrders.rows.length} orphan orders`);
    }

    const orphanItems = await queryable.query(`
      SELECT i.id FROM order_items i
      LEFT JOIN orders o ON i.order_id = o.id
      LEFT JOIN products p ON i.product_id = p.id
      WHERE o.id IS NULL OR p.id IS NULL
    `);

    if (orphanItems.rows.length > 0) {
      throw new Error(`Found ${orphanItems.rows.length} orphan order items`);
    }

    // analytics_events comes from production-anonymized.dump and is absent
    // until that archive has been restored.
    const events = await queryable.query(
      `SELECT to_regclass('public.analytics_events') AS t`
    );
    if (events.rows[0].t !== null) {
      const orphanEvents = await queryable.query(`
        SELECT e.id FROM analytics_events e
        LEFT JOIN users u ON e.user_id = u.id
        WHERE u.id IS NULL
      `);
      if (orphanEvents.rows.length > 0) {
        throw new Error(
          `Found ${orphanEvents.rows.length} orphan analytics events`);
      }
    }

    return true;
  }

  async close() {
    await this.pool.end();
  }
}

module.exports = DatabaseTest;
