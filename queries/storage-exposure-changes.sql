-- name: storage-exposure-changes
-- title: Bucket and storage account exposure changes
-- description: Changes to who may read storage: AWS S3 bucket policies, ACLs and public access blocks;
-- description: GCP bucket IAM policies; Azure storage accounts and containers written.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, action, resource, outcome, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND (
    (cloud = 'aws' AND action IN ('PutBucketPolicy', 'DeleteBucketPolicy', 'PutBucketAcl', 'PutObjectAcl',
        'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock'))
    OR (cloud = 'gcp' AND action IN ('storage.setIamPermissions', 'storage.buckets.setIamPolicy'))
    OR (cloud = 'azure' AND lower(action) IN ('microsoft.storage/storageaccounts/write',
        'microsoft.storage/storageaccounts/blobservices/containers/write'))
  )
  AND NOT (cloud = 'azure' AND lower(coalesce(json_get_str(raw, 'status', 'value'), json_get_str(raw, 'resultType'), '')) IN ('started', 'start', 'accepted', 'accept'))
ORDER BY event_time, event_id
