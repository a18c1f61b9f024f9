-- name: snapshot-and-image-sharing
-- title: Snapshots and images shared out
-- description: Disk snapshots, machine images and database snapshots made available to others: AWS
-- description: permissions added to EBS snapshots, AMIs and RDS snapshots; GCP IAM policies set on
-- description: snapshots, images and disks; Azure download links (SAS) granted on snapshots and disks.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, action, resource, outcome,
       coalesce(json_get_str(raw, 'requestParameters', 'createVolumePermission', 'add', 'items', 0, 'userId'),
                json_get_str(raw, 'requestParameters', 'createVolumePermission', 'add', 'items', 0, 'group'),
                json_get_str(raw, 'requestParameters', 'launchPermission', 'add', 'items', 0, 'userId'),
                json_get_str(raw, 'requestParameters', 'launchPermission', 'add', 'items', 0, 'group'),
                json_get_str(raw, 'requestParameters', 'valuesToAdd', 0)) AS shared_with,
       source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND (
    (cloud = 'aws' AND (
        (action IN ('ModifySnapshotAttribute', 'ModifyImageAttribute')
         AND (json_get_json(raw, 'requestParameters', 'createVolumePermission', 'add') IS NOT NULL
              OR json_get_json(raw, 'requestParameters', 'launchPermission', 'add') IS NOT NULL))
        OR (action IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute')
            AND json_get_json(raw, 'requestParameters', 'valuesToAdd') IS NOT NULL)))
    OR (cloud = 'gcp' AND (action LIKE '%compute.snapshots.setIamPolicy' OR action LIKE '%compute.images.setIamPolicy'
        OR action LIKE '%compute.disks.setIamPolicy' OR action LIKE '%compute.machineImages.setIamPolicy'))
    OR (cloud = 'azure' AND lower(action) IN ('microsoft.compute/snapshots/begingetaccess/action', 'microsoft.compute/disks/begingetaccess/action'))
  )
  AND NOT (cloud = 'azure' AND lower(coalesce(json_get_str(raw, 'status', 'value'), json_get_str(raw, 'resultType'), '')) IN ('started', 'start', 'accepted', 'accept'))
ORDER BY event_time, event_id
