-- name: logging-tampering
-- title: Logging tampering
-- description: Attempts to blind the defenders, successful or refused: CloudTrail stopped, deleted or
-- description: narrowed, flow logs, log groups, DNS query logs and Config recorders deleted; GCP log
-- description: sinks deleted or changed and exclusions added; Azure diagnostic settings deleted or changed.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, action, resource, outcome, error_code, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND (
    (cloud = 'aws' AND action IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors',
        'DeleteFlowLogs', 'DeleteLogGroup', 'DeleteLogStream', 'DeleteResolverQueryLogConfig',
        'DisassociateResolverQueryLogConfig', 'StopConfigurationRecorder', 'DeleteConfigurationRecorder',
        'DeleteDeliveryChannel', 'DeleteDetector', 'DisableSecurityHub'))
    OR (cloud = 'gcp' AND action IN ('google.logging.v2.ConfigServiceV2.DeleteSink', 'google.logging.v2.ConfigServiceV2.UpdateSink',
        'google.logging.v2.ConfigServiceV2.CreateExclusion', 'google.logging.v2.ConfigServiceV2.UpdateExclusion',
        'google.logging.v2.ConfigServiceV2.DeleteBucket', 'google.logging.v2.LoggingServiceV2.DeleteLog'))
    OR (cloud = 'azure' AND lower(action) IN ('microsoft.insights/diagnosticsettings/delete', 'microsoft.insights/diagnosticsettings/write',
        'microsoft.insights/logprofiles/delete', 'microsoft.operationalinsights/workspaces/delete'))
  )
  AND NOT (cloud = 'azure' AND lower(coalesce(json_get_str(raw, 'status', 'value'), json_get_str(raw, 'resultType'), '')) IN ('started', 'start', 'accepted', 'accept'))
ORDER BY event_time, event_id
