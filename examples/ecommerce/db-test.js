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

  async verifyIntegrity() {
    // Check foreign key integrity
    const orphanOrders = await this.pool.query(`
      SELECT o.id FROM orders o
      LEFT JOIN users u ON o.user_id = u.id
      WHERE u.id IS NULL
    `);

    if (orphanOrders.rows.length > 0) {
      throw new Error(`Found ${orphanOrders.rows.length} orphan orders`);
    }

    return true;
  }

  async close() {
    await this.pool.end();
  }
}

module.exports = DatabaseTest;
