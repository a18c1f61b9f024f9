-- name: new-credentials
-- title: New access keys and credentials
-- description: Credentials created or re-issued: AWS access keys, console passwords, SSH keys and
-- description: service-specific credentials; GCP service account keys; Azure storage account keys; secrets
-- description: and certificates added to Entra ID applications and service principals, users' passwords reset
-- description: and sign-in methods registered by an admin.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, action, resource, outcome, source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND outcome = 'success'
  AND (
    (cloud = 'aws' AND service = 'iam.amazonaws.com' AND action IN ('CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile',
        'CreateServiceSpecificCredential', 'ResetServiceSpecificCredential', 'UploadSSHPublicKey', 'UploadSigningCertificate'))
    OR (cloud = 'gcp' AND action IN ('google.iam.admin.v1.CreateServiceAccountKey', 'google.iam.admin.v1.UploadServiceAccountKey'))
    OR (cloud = 'azure' AND lower(action) = 'microsoft.storage/storageaccounts/regeneratekey/action')
    OR (cloud = 'azure' AND category = 'entra_audit' AND (action IN ('Add service principal credentials',
        'Reset user password', 'Reset password (by admin)', 'Admin registered security info',
        'Admin registered temporary access pass method for user')
        OR action LIKE 'Update application%Certificates and secrets management%'))
  )
  AND NOT (cloud = 'azure' AND lower(coalesce(json_get_str(raw, 'status', 'value'), json_get_str(raw, 'resultType'), '')) IN ('started', 'start', 'accepted', 'accept'))
ORDER BY event_time, event_id
