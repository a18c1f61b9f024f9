-- name: role-session-activity
-- title: What role sessions did after they were assumed
-- description: Each AWS AssumeRole call followed by everything the session it created did within
-- description: the session's lifetime: who hopped into which role, and what they did there.
-- description: (An archive written before the assumed_principal column: run `trailscope compact` first.)
-- param: session_hours integer = 12 | how long after the AssumeRole call a session's events are followed
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
WITH assumed AS (
  SELECT event_time AS assumed_at,
         principal AS assumed_by,
         resource AS role,
         assumed_principal AS session,
         event_id AS assume_event_id
  FROM events
  WHERE event_time >= $since AND event_time < $until
    AND cloud = 'aws'
    AND action = 'AssumeRole'
    AND outcome = 'success'
    AND assumed_principal IS NOT NULL
)
SELECT a.assumed_at, a.assumed_by, a.role, a.session,
       e.event_time, e.tenant, e.action, e.resource, e.outcome, e.event_id, a.assume_event_id
FROM assumed a
JOIN events e ON e.principal = a.session
WHERE e.cloud = 'aws'
  AND e.event_time >= a.assumed_at
  AND to_unixtime(e.event_time) < to_unixtime(a.assumed_at) + $session_hours * 3600
  AND e.event_time >= $since
ORDER BY a.assumed_at, e.event_time, e.event_id
