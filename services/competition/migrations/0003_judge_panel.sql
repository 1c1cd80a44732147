-- A contest's judge panel: the judges AutoAssign draws from. Empty means every judge (the behaviour
-- before panels existed). Ids of judges (global resources); the servicer checks they exist.
ALTER TABLE contests ADD COLUMN judge_ids text[] NOT NULL DEFAULT '{}';
