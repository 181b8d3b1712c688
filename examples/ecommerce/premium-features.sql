CREATE TABLE premium_features (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id UUID REFERENCES users(id),
  feature_name VARCHAR(100) NOT NULL,
  enabled_at TIMESTAMP DEFAULT NOW()
);
ALTER TABLE users ADD COLUMN is_premium BOOLEAN DEFAULT FALSE;
