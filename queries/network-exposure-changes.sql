-- name: network-exposure-changes
-- title: Security group and firewall changes
-- description: Changes to what the network lets in or out: AWS security groups and network ACLs, GCP
-- description: firewall rules, Azure network security groups and their rules. open_to_internet marks
-- description: the successful changes that allow 0.0.0.0/0 or ::/0 in (an inbound rule added or replaced; not
-- description: an outbound one, a revocation, a deny rule or a refused call; ModifySecurityGroupRules, whose log
-- description: does not say the direction, counts); empty for Azure, whose log does not carry the rule.
-- param: since timestamp = archive_end() - interval '30 days' | start of the period
-- param: until timestamp = archive_end() + interval '1 second' | end of the period (excluded)
SELECT event_time, cloud, tenant, principal, action, resource, outcome,
       CASE WHEN cloud = 'azure' THEN NULL
            ELSE outcome = 'success'
             AND (action IN ('AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules', 'CreateNetworkAclEntry',
                             'ReplaceNetworkAclEntry')
                  OR action LIKE '%compute.firewalls.insert' OR action LIKE '%compute.firewalls.patch'
                  OR action LIKE '%compute.firewalls.update')
             AND coalesce(json_get_str(raw, 'requestParameters', 'ruleAction'), 'allow') = 'allow'
             AND NOT coalesce(json_get_bool(raw, 'requestParameters', 'egress'), false)
             AND upper(coalesce(json_get_str(raw, 'protoPayload', 'request', 'direction'), 'INGRESS')) <> 'EGRESS'
             AND json_get(raw, 'protoPayload', 'request', 'denied') IS NULL
             AND json_get(raw, 'protoPayload', 'request', 'denieds') IS NULL
             AND (raw LIKE '%0.0.0.0/0%' OR raw LIKE '%::/0%')
       END AS open_to_internet,
       source_ip, event_id
FROM events
WHERE event_time >= $since AND event_time < $until
  AND (
    (cloud = 'aws' AND action IN ('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress',
        'RevokeSecurityGroupEgress', 'ModifySecurityGroupRules', 'CreateSecurityGroup', 'DeleteSecurityGroup',
        'CreateNetworkAclEntry', 'ReplaceNetworkAclEntry', 'DeleteNetworkAclEntry'))
    OR (cloud = 'gcp' AND action LIKE '%compute.firewalls.%' AND read_only = false)
    OR (cloud = 'azure' AND lower(action) IN ('microsoft.network/networksecuritygroups/write', 'microsoft.network/networksecuritygroups/delete',
        'microsoft.network/networksecuritygroups/securityrules/write', 'microsoft.network/networksecuritygroups/securityrules/delete'))
  )
  AND NOT (cloud = 'azure' AND lower(coalesce(json_get_str(raw, 'status', 'value'), json_get_str(raw, 'resultType'), '')) IN ('started', 'start', 'accepted', 'accept'))
ORDER BY event_time, event_id
