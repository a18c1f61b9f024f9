-- name: function-deployments
-- title: Serverless functions deployed and configured
-- description: Who deployed, changed or opened up a function: AWS Lambda functions created, their code,
-- description: configuration and permissions changed; GCP Cloud Functions changed in any way; Azure
-- description: function and web apps written or reconfigured.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, source_identity, action, resource, outcome, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND (
    (cloud = 'aws' AND service = 'lambda.amazonaws.com' AND (action LIKE 'CreateFunction%' OR action LIKE 'UpdateFunctionCode%'
        OR action LIKE 'UpdateFunctionConfiguration%' OR action LIKE 'AddPermission%' OR action LIKE 'PublishVersion%'
        OR action LIKE 'CreateFunctionUrlConfig%' OR action LIKE 'UpdateFunctionUrlConfig%' OR action LIKE 'CreateEventSourceMapping%'))
    OR (cloud = 'gcp' AND service = 'cloudfunctions.googleapis.com' AND read_only = false)
    OR (cloud = 'azure' AND lower(action) IN ('microsoft.web/sites/write', 'microsoft.web/sites/config/write',
        'microsoft.web/sites/functions/write', 'microsoft.web/sites/publishxml/action'))
  )
  AND NOT (cloud = 'azure' AND lower(coalesce(json_get_str(raw, 'status', 'value'), json_get_str(raw, 'resultType'), '')) IN ('started', 'start', 'accepted', 'accept'))
ORDER BY event_time, event_id
