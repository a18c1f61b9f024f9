//! What the organisation calls, per cloud: real API names in the order of how often they come,
//! drawn with a Zipf-like long tail ([`super::rng::zipf`]): a few reads dominate, and most of the
//! hundreds of actions come a handful of times a month. The tables are built once per process.

use std::sync::LazyLock;

use super::rng::Table;

/// One AWS API: its service (`eventSource` without `.amazonaws.com`), its `eventName`, and
/// whether CloudTrail marks it `readOnly`.
#[derive(Clone, Copy, Debug)]
pub struct Api {
    pub source: &'static str,
    pub name: &'static str,
    pub read: bool,
}

/// Whether CloudTrail writes `readOnly: true` for this call: reads by their verb, and the calls
/// CloudTrail counts as reads although their names do not say so.
fn read_only(name: &str) -> bool {
    const VERBS: [&str; 10] = [
        "Get",
        "List",
        "Describe",
        "Head",
        "Lookup",
        "Search",
        "BatchGet",
        "BatchCheck",
        "Filter",
        "Validate",
    ];
    const READS: [&str; 6] = [
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "AssumeRole",
        "AssumeRoleWithWebIdentity",
    ];
    VERBS.iter().any(|v| name.starts_with(v)) || READS.contains(&name)
}

fn apis(list: &[(&'static str, &'static str)]) -> Table<Api> {
    Table::ranked(list.iter().map(|&(source, name)| Api {
        source,
        name,
        read: read_only(name),
    }))
}

/// People working in the console and with the CLI, through their SSO roles: mostly looking,
/// sometimes changing things.
pub static PERSON: LazyLock<Table<Api>> = LazyLock::new(|| {
    apis(&[
        ("ec2", "DescribeInstances"),
        ("sts", "GetCallerIdentity"),
        ("s3", "ListBuckets"),
        ("monitoring", "GetMetricData"),
        ("ec2", "DescribeRegions"),
        ("iam", "ListRoles"),
        ("logs", "DescribeLogGroups"),
        ("cloudformation", "DescribeStacks"),
        ("ec2", "DescribeSecurityGroups"),
        ("lambda", "ListFunctions20150331"),
        ("s3", "GetBucketLocation"),
        ("ec2", "DescribeVpcs"),
        ("ssm", "DescribeInstanceInformation"),
        ("iam", "GetRole"),
        ("logs", "FilterLogEvents"),
        ("signin", "ConsoleLogin"),
        ("ec2", "DescribeSubnets"),
        ("monitoring", "DescribeAlarms"),
        ("rds", "DescribeDBInstances"),
        ("dynamodb", "ListTables"),
        ("kms", "ListAliases"),
        ("ec2", "DescribeVolumes"),
        ("s3", "GetBucketPolicy"),
        ("s3", "GetBucketAcl"),
        ("iam", "ListAttachedRolePolicies"),
        ("ecs", "ListClusters"),
        ("ecs", "DescribeServices"),
        ("eks", "DescribeCluster"),
        ("ec2", "DescribeNetworkInterfaces"),
        ("logs", "StartQuery"),
        ("logs", "GetQueryResults"),
        ("cloudtrail", "LookupEvents"),
        ("ec2", "DescribeImages"),
        ("s3", "GetBucketEncryption"),
        ("s3", "GetBucketVersioning"),
        ("s3", "GetBucketPublicAccessBlock"),
        ("ec2", "StartInstances"),
        ("s3", "GetBucketTagging"),
        ("ec2", "DescribeSnapshots"),
        ("iam", "ListPolicies"),
        ("secretsmanager", "ListSecrets"),
        ("ssm", "GetParameters"),
        ("lambda", "GetFunction20150331v2"),
        ("ec2", "StopInstances"),
        ("ecr", "DescribeRepositories"),
        ("route53", "ListHostedZones"),
        ("elasticloadbalancing", "DescribeLoadBalancers"),
        ("elasticloadbalancing", "DescribeTargetHealth"),
        ("autoscaling", "DescribeAutoScalingGroups"),
        ("ssm", "StartSession"),
        ("cloudformation", "ListStacks"),
        ("cloudformation", "DescribeStackEvents"),
        ("sns", "ListTopics"),
        ("sqs", "ListQueues"),
        ("iam", "GetPolicyVersion"),
        ("ec2", "CreateTags"),
        ("iam", "ListUsers"),
        ("ec2", "DescribeAvailabilityZones"),
        ("ec2", "DescribeRouteTables"),
        ("ssm", "TerminateSession"),
        ("ec2", "DescribeKeyPairs"),
        ("kms", "DescribeKey"),
        ("rds", "DescribeDBClusters"),
        ("dynamodb", "DescribeTable"),
        ("s3", "GetBucketLogging"),
        ("s3", "GetBucketLifecycle"),
        ("lambda", "UpdateFunctionConfiguration20150331v2"),
        ("s3", "GetBucketOwnershipControls"),
        ("s3", "GetBucketCors"),
        ("ec2", "DescribeTags"),
        ("ec2", "DescribeLaunchTemplates"),
        ("s3", "GetBucketWebsite"),
        ("ec2", "DescribeAddresses"),
        ("s3", "GetBucketNotification"),
        ("ec2", "DescribeNatGateways"),
        ("cloudformation", "UpdateStack"),
        ("ec2", "DescribeInternetGateways"),
        ("s3", "GetBucketReplication"),
        ("ec2", "DescribeVpcEndpoints"),
        ("ec2", "DescribeInstanceStatus"),
        ("s3", "GetBucketObjectLockConfiguration"),
        ("ec2", "DescribeInstanceTypes"),
        ("iam", "ListRolePolicies"),
        ("ssm", "SendCommand"),
        ("iam", "GetRolePolicy"),
        ("s3", "GetAccelerateConfiguration"),
        ("iam", "ListGroups"),
        ("iam", "ListInstanceProfiles"),
        ("ec2", "RebootInstances"),
        ("iam", "GetAccountSummary"),
        ("s3", "GetBucketRequestPayment"),
        ("iam", "ListAccountAliases"),
        ("iam", "ListMFADevices"),
        ("sts", "AssumeRole"),
        ("monitoring", "ListMetrics"),
        ("monitoring", "GetMetricStatistics"),
        ("ecs", "UpdateService"),
        ("monitoring", "DescribeAlarmHistory"),
        ("logs", "DescribeLogStreams"),
        ("logs", "GetLogEvents"),
        ("ssm", "GetCommandInvocation"),
        ("logs", "DescribeMetricFilters"),
        ("ssm", "GetParameter"),
        ("ssm", "DescribeParameters"),
        ("ssm", "ListCommands"),
        ("ssm", "GetParametersByPath"),
        ("monitoring", "PutMetricAlarm"),
        ("secretsmanager", "DescribeSecret"),
        ("secretsmanager", "GetSecretValue"),
        ("lambda", "ListEventSourceMappings20150331"),
        ("lambda", "GetFunctionConfiguration20150331v2"),
        ("ec2", "RunInstances"),
        ("lambda", "ListVersionsByFunction20150331"),
        ("lambda", "ListAliases20150331"),
        ("lambda", "GetPolicy20150331v2"),
        ("ecs", "ListServices"),
        ("ecs", "ListTasks"),
        ("ecs", "DescribeTasks"),
        ("ec2", "TerminateInstances"),
        ("ecs", "DescribeTaskDefinition"),
        ("ecs", "ListTaskDefinitions"),
        ("ecs", "DescribeClusters"),
        ("eks", "ListClusters"),
        ("cloudformation", "CreateChangeSet"),
        ("eks", "ListNodegroups"),
        ("eks", "DescribeNodegroup"),
        ("ecr", "ListImages"),
        ("ecr", "DescribeImages"),
        ("ecr", "DescribeImageScanFindings"),
        ("rds", "DescribeDBSnapshots"),
        ("cloudformation", "ExecuteChangeSet"),
        ("rds", "DescribeDBSubnetGroups"),
        ("rds", "DescribeEvents"),
        ("rds", "DescribeDBEngineVersions"),
        ("dynamodb", "DescribeContinuousBackups"),
        ("ec2", "CreateSnapshot"),
        ("dynamodb", "DescribeTimeToLive"),
        ("dynamodb", "ListBackups"),
        ("route53", "ListResourceRecordSets"),
        ("route53", "GetHostedZone"),
        ("route53", "ChangeResourceRecordSets"),
        ("route53", "GetChange"),
        ("cloudformation", "GetTemplate"),
        ("lambda", "UpdateFunctionCode20150331v2"),
        ("cloudformation", "DescribeStackResources"),
        ("cloudformation", "ListStackResources"),
        ("cloudformation", "GetTemplateSummary"),
        ("cloudformation", "DescribeChangeSet"),
        ("ssm", "PutParameter"),
        ("cloudformation", "ListChangeSets"),
        ("sns", "GetTopicAttributes"),
        ("sns", "ListSubscriptionsByTopic"),
        ("sqs", "GetQueueAttributes"),
        ("sqs", "ListQueueTags"),
        ("autoscaling", "UpdateAutoScalingGroup"),
        ("kms", "ListKeys"),
        ("kms", "GetKeyPolicy"),
        ("kms", "GetKeyRotationStatus"),
        ("kms", "ListResourceTags"),
        ("organizations", "ListAccounts"),
        ("ec2", "CreateVolume"),
        ("organizations", "DescribeAccount"),
        ("organizations", "DescribeOrganization"),
        ("cloudtrail", "DescribeTrails"),
        ("cloudtrail", "GetTrailStatus"),
        ("cloudtrail", "GetEventSelectors"),
        ("ec2", "AttachVolume"),
        ("config", "DescribeConfigRules"),
        ("config", "DescribeComplianceByConfigRule"),
        ("config", "GetComplianceDetailsByConfigRule"),
        ("guardduty", "ListDetectors"),
        ("guardduty", "ListFindings"),
        ("guardduty", "GetFindings"),
        ("rds", "CreateDBSnapshot"),
        ("securityhub", "GetFindings"),
        ("securityhub", "DescribeHub"),
        ("access-analyzer", "ListAnalyzers"),
        ("health", "DescribeEvents"),
        ("ce", "GetCostAndUsage"),
        ("s3", "PutBucketTagging"),
        ("acm", "ListCertificates"),
        ("acm", "DescribeCertificate"),
        ("wafv2", "ListWebACLs"),
        ("apigateway", "GetRestApis"),
        ("states", "ListStateMachines"),
        ("states", "DescribeExecution"),
        ("ecs", "RegisterTaskDefinition"),
        ("events", "ListRules"),
        ("events", "DescribeRule"),
        ("elasticache", "DescribeCacheClusters"),
        ("glue", "GetDatabases"),
        ("glue", "GetTables"),
        ("athena", "StartQueryExecution"),
        ("athena", "GetQueryExecution"),
        ("athena", "GetQueryResults"),
        ("backup", "ListBackupJobs"),
        ("logs", "PutRetentionPolicy"),
        ("ec2", "ModifyInstanceAttribute"),
        ("iam", "TagRole"),
        ("secretsmanager", "PutSecretValue"),
        ("dynamodb", "UpdateTable"),
        ("rds", "ModifyDBInstance"),
        ("sqs", "SetQueueAttributes"),
        ("ec2", "CreateLaunchTemplateVersion"),
        ("events", "PutRule"),
        ("events", "PutTargets"),
        ("logs", "CreateLogGroup"),
        ("cloudformation", "CreateStack"),
        ("s3", "PutBucketVersioning"),
        ("s3", "PutBucketEncryption"),
        ("s3", "PutBucketLifecycle"),
        ("iam", "CreateRole"),
        ("iam", "AttachRolePolicy"),
        ("iam", "PutRolePolicy"),
        ("ec2", "AuthorizeSecurityGroupIngress"),
        ("ec2", "RevokeSecurityGroupIngress"),
        ("ec2", "CreateSecurityGroup"),
        ("s3", "CreateBucket"),
        ("s3", "PutBucketPublicAccessBlock"),
        ("s3", "PutBucketPolicy"),
        ("sns", "CreateTopic"),
        ("sns", "Subscribe"),
        ("sqs", "CreateQueue"),
        ("monitoring", "PutDashboard"),
        ("lambda", "CreateFunction20150331"),
        ("lambda", "PublishVersion20150331"),
        ("iam", "CreatePolicyVersion"),
        ("iam", "UpdateAssumeRolePolicy"),
        ("iam", "CreateServiceLinkedRole"),
        ("secretsmanager", "CreateSecret"),
        ("rds", "RebootDBInstance"),
        ("ec2", "AllocateAddress"),
        ("ec2", "CreateImage"),
        ("ec2", "DeregisterImage"),
        ("ec2", "DeleteSnapshot"),
        ("cloudformation", "DeleteStack"),
        ("monitoring", "DeleteAlarms"),
        ("kms", "CreateKey"),
        ("eks", "UpdateNodegroupConfig"),
        ("elasticloadbalancing", "ModifyTargetGroupAttributes"),
        ("iam", "DeleteRole"),
        ("s3", "DeleteBucket"),
    ])
});

/// The CI system's IAM user: builds, pushes images, deploys stacks and functions.
pub static CI: LazyLock<Table<Api>> = LazyLock::new(|| {
    apis(&[
        ("sts", "GetCallerIdentity"),
        ("ecr", "GetAuthorizationToken"),
        ("ecr", "BatchCheckLayerAvailability"),
        ("cloudformation", "DescribeStacks"),
        ("ecr", "InitiateLayerUpload"),
        ("ecr", "UploadLayerPart"),
        ("ecr", "CompleteLayerUpload"),
        ("cloudformation", "DescribeStackEvents"),
        ("ecr", "PutImage"),
        ("ssm", "GetParameter"),
        ("lambda", "GetFunction20150331v2"),
        ("kms", "Decrypt"),
        ("ecr", "BatchGetImage"),
        ("s3", "GetBucketLocation"),
        ("lambda", "UpdateFunctionCode20150331v2"),
        ("cloudformation", "CreateChangeSet"),
        ("cloudformation", "DescribeChangeSet"),
        ("ecs", "DescribeServices"),
        ("cloudformation", "ExecuteChangeSet"),
        ("secretsmanager", "GetSecretValue"),
        ("ssm", "GetParameters"),
        ("lambda", "GetFunctionConfiguration20150331v2"),
        ("ecs", "RegisterTaskDefinition"),
        ("ecs", "UpdateService"),
        ("lambda", "PublishVersion20150331"),
        ("lambda", "UpdateAlias20150331"),
        ("cloudformation", "GetTemplate"),
        ("cloudformation", "ValidateTemplate"),
        ("ecs", "DescribeTaskDefinition"),
        ("eks", "DescribeCluster"),
        ("kms", "GenerateDataKey"),
        ("cloudfront", "CreateInvalidation"),
        ("cloudfront", "GetInvalidation"),
        ("iam", "GetRole"),
        ("ec2", "DescribeImages"),
        ("ssm", "PutParameter"),
        ("route53", "ChangeResourceRecordSets"),
        ("route53", "GetChange"),
        ("autoscaling", "StartInstanceRefresh"),
        ("autoscaling", "DescribeInstanceRefreshes"),
        ("codeartifact", "GetAuthorizationToken"),
        ("codeartifact", "GetRepositoryEndpoint"),
        ("ec2", "DescribeLaunchTemplateVersions"),
        ("iam", "ListAttachedRolePolicies"),
    ])
});

/// Workloads' role sessions on their instances, containers and functions.
pub static WORKLOAD: LazyLock<Table<Api>> = LazyLock::new(|| {
    apis(&[
        ("kms", "Decrypt"),
        ("sts", "AssumeRole"),
        ("kms", "GenerateDataKey"),
        ("ssm", "GetParameter"),
        ("logs", "CreateLogStream"),
        ("secretsmanager", "GetSecretValue"),
        ("sts", "GetCallerIdentity"),
        ("ec2", "DescribeInstances"),
        ("dynamodb", "DescribeTable"),
        ("sqs", "GetQueueAttributes"),
        ("ssm", "UpdateInstanceInformation"),
        ("ecr", "GetAuthorizationToken"),
        ("ssm", "GetParametersByPath"),
        ("ec2", "DescribeTags"),
        ("ecr", "BatchGetImage"),
        ("ecr", "GetDownloadUrlForLayer"),
        ("kms", "Encrypt"),
        ("ssm", "GetParameters"),
        ("logs", "DescribeLogGroups"),
        ("monitoring", "GetMetricData"),
        ("ec2", "DescribeInstanceStatus"),
        ("sqs", "GetQueueUrl"),
        ("secretsmanager", "DescribeSecret"),
        ("glue", "GetTable"),
        ("athena", "StartQueryExecution"),
        ("athena", "GetQueryExecution"),
        ("logs", "CreateLogGroup"),
        ("autoscaling", "DescribeAutoScalingGroups"),
        ("elasticloadbalancing", "DescribeTargetHealth"),
        ("rds", "DescribeDBInstances"),
        ("ec2", "CreateSnapshot"),
        ("backup", "StartBackupJob"),
        ("ec2", "DescribeSnapshots"),
        ("rds", "CreateDBClusterSnapshot"),
        ("kms", "GenerateDataKeyWithoutPlaintext"),
        ("glue", "StartJobRun"),
        ("glue", "GetJobRun"),
        ("states", "StartExecution"),
        ("ec2", "DeleteSnapshot"),
        ("eks", "DescribeCluster"),
    ])
});

/// AWS services acting for the organisation (`AwsServiceEvent`).
pub static SERVICE: LazyLock<Table<Api>> = LazyLock::new(|| {
    apis(&[
        ("sts", "AssumeRole"),
        ("kms", "Decrypt"),
        ("kms", "GenerateDataKey"),
        ("kms", "CreateGrant"),
        ("kms", "RetireGrant"),
        ("ec2", "CreateNetworkInterface"),
        ("ec2", "DescribeNetworkInterfaces"),
        ("ec2", "DeleteNetworkInterface"),
        ("ec2", "RunInstances"),
        ("ec2", "TerminateInstances"),
        ("elasticloadbalancing", "RegisterTargets"),
        ("elasticloadbalancing", "DeregisterTargets"),
        ("s3", "GetBucketAcl"),
        ("config", "PutEvaluations"),
        ("kms", "DescribeKey"),
        ("ec2", "CreateTags"),
        ("autoscaling", "DescribeLifecycleHooks"),
        ("ec2", "AttachNetworkInterface"),
        ("cloudformation", "SignalResource"),
        ("ecs", "SubmitTaskStateChange"),
    ])
});

/// S3 data events (and Lambda invocations, logged with them) in the shares they come in:
/// objects are read far more than written.
pub static DATA: LazyLock<Table<Api>> = LazyLock::new(|| {
    Table::new(
        [
            ("s3", "GetObject", 40_000),
            ("s3", "PutObject", 18_000),
            ("s3", "HeadObject", 16_000),
            ("s3", "ListObjects", 8_000),
            ("lambda", "Invoke", 3_000),
            ("s3", "UploadPart", 3_000),
            ("s3", "DeleteObject", 2_500),
            ("s3", "GetObjectTagging", 1_500),
            ("s3", "CreateMultipartUpload", 1_200),
            ("s3", "CompleteMultipartUpload", 1_150),
            ("s3", "CopyObject", 800),
            ("s3", "PutObjectTagging", 600),
            ("s3", "DeleteObjects", 400),
            ("s3", "GetObjectAcl", 300),
            ("s3", "GetObjectAttributes", 100),
            ("s3", "AbortMultipartUpload", 50),
            ("s3", "RestoreObject", 20),
        ]
        .map(|(source, name, w)| {
            (
                Api {
                    source,
                    name,
                    read: matches!(
                        name,
                        "GetObject"
                            | "HeadObject"
                            | "ListObjects"
                            | "GetObjectTagging"
                            | "GetObjectAcl"
                            | "GetObjectAttributes"
                    ),
                },
                w,
            )
        }),
    )
});

/// Which GCP audit log a call goes to, by the permission type IAM checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    AdminRead,
    AdminWrite,
    DataRead,
    DataWrite,
    /// Google's own actions on the organisation's resources (the system event log).
    System,
}

/// What a GCP call acts on: its `resourceName` and its monitored resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcpKind {
    Object,
    Bucket,
    Instance,
    Disk,
    Snapshot,
    Image,
    Firewall,
    Network,
    Subnetwork,
    Zone,
    Project,
    ServiceAccount,
    Role,
    Function,
    RunService,
    Dataset,
    Table,
    BqJob,
    SqlInstance,
    Topic,
    Subscription,
    Secret,
    Cluster,
    K8s,
    Sink,
    CryptoKey,
    Build,
    Repository,
    ManagedZone,
    AlertPolicy,
    Service,
}

impl GcpKind {
    /// The monitored resource type its entries are written under.
    pub fn resource_type(self) -> &'static str {
        use GcpKind::*;
        match self {
            Object | Bucket => "gcs_bucket",
            Instance => "gce_instance",
            Disk => "gce_disk",
            Snapshot => "gce_snapshot",
            Image => "gce_image",
            Firewall => "gce_firewall_rule",
            Network => "gce_network",
            Subnetwork => "gce_subnetwork",
            Zone | Project => "project",
            ServiceAccount | Role => "service_account",
            Function => "cloud_function",
            RunService => "cloud_run_revision",
            Dataset | Table | BqJob => "bigquery_dataset",
            SqlInstance => "cloudsql_database",
            Topic => "pubsub_topic",
            Subscription => "pubsub_subscription",
            Secret => "audited_resource",
            Cluster => "gke_cluster",
            K8s => "k8s_cluster",
            Sink => "logging_sink",
            CryptoKey => "cloudkms_cryptokey",
            Build => "build",
            Repository => "audited_resource",
            ManagedZone => "dns_managed_zone",
            AlertPolicy => "audited_resource",
            Service => "audited_resource",
        }
    }
}

/// One GCP method: its service, `methodName`, what it acts on, its log, and the permission IAM
/// checked.
#[derive(Clone, Copy, Debug)]
pub struct Method {
    pub service: &'static str,
    pub method: &'static str,
    pub kind: GcpKind,
    pub access: Access,
    pub permission: &'static str,
}

pub static GCP: LazyLock<Table<Method>> = LazyLock::new(|| {
    use Access::*;
    use GcpKind::*;
    let m = |service, method, kind, access, permission| Method {
        service,
        method,
        kind,
        access,
        permission,
    };
    const GCS: &str = "storage.googleapis.com";
    const GCE: &str = "compute.googleapis.com";
    const BQ: &str = "bigquery.googleapis.com";
    const IAM: &str = "iam.googleapis.com";
    const CRM: &str = "cloudresourcemanager.googleapis.com";
    const GCF: &str = "cloudfunctions.googleapis.com";
    const RUN: &str = "run.googleapis.com";
    const GKE: &str = "container.googleapis.com";
    const SQL: &str = "cloudsql.googleapis.com";
    const PS: &str = "pubsub.googleapis.com";
    const SM: &str = "secretmanager.googleapis.com";
    const LOG: &str = "logging.googleapis.com";
    const KMS: &str = "cloudkms.googleapis.com";
    const K8S: &str = "k8s.io";
    super::rng::Table::steep([
        m(GCS, "storage.objects.get", Object, DataRead, "storage.objects.get"),
        m(GCS, "storage.objects.list", Bucket, DataRead, "storage.objects.list"),
        m(
            GCS,
            "storage.objects.create",
            Object,
            DataWrite,
            "storage.objects.create",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.JobService.InsertJob",
            BqJob,
            DataWrite,
            "bigquery.jobs.create",
        ),
        m(
            GCE,
            "v1.compute.instances.list",
            Zone,
            AdminRead,
            "compute.instances.list",
        ),
        m(
            K8S,
            "io.k8s.core.v1.configmaps.update",
            K8s,
            AdminWrite,
            "io.k8s.core.v1.configmaps.update",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.JobService.GetQueryResults",
            BqJob,
            DataRead,
            "bigquery.jobs.get",
        ),
        m(
            SM,
            "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
            Secret,
            DataRead,
            "secretmanager.versions.access",
        ),
        m(
            KMS,
            "Decrypt",
            CryptoKey,
            DataRead,
            "cloudkms.cryptoKeyVersions.useToDecrypt",
        ),
        m(
            K8S,
            "io.k8s.apps.v1.deployments.patch",
            K8s,
            AdminWrite,
            "io.k8s.apps.v1.deployments.patch",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.TableDataService.List",
            Table,
            DataRead,
            "bigquery.tables.getData",
        ),
        m(GCS, "storage.buckets.get", Bucket, AdminRead, "storage.buckets.get"),
        m(
            PS,
            "google.pubsub.v1.Publisher.Publish",
            Topic,
            DataWrite,
            "pubsub.topics.publish",
        ),
        m(
            GCE,
            "v1.compute.instances.get",
            Instance,
            AdminRead,
            "compute.instances.get",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.TableService.GetTable",
            Table,
            AdminRead,
            "bigquery.tables.get",
        ),
        m(
            K8S,
            "io.k8s.core.v1.configmaps.get",
            K8s,
            AdminRead,
            "io.k8s.core.v1.configmaps.get",
        ),
        m(
            GCS,
            "storage.objects.delete",
            Object,
            DataWrite,
            "storage.objects.delete",
        ),
        m(GCS, "storage.buckets.list", Project, AdminRead, "storage.buckets.list"),
        m(
            BQ,
            "google.cloud.bigquery.v2.JobService.GetJob",
            BqJob,
            DataRead,
            "bigquery.jobs.get",
        ),
        m(
            CRM,
            "GetIamPolicy",
            Project,
            AdminRead,
            "resourcemanager.projects.getIamPolicy",
        ),
        m(
            GCE,
            "v1.compute.instances.insert",
            Instance,
            AdminWrite,
            "compute.instances.create",
        ),
        m(
            GKE,
            "google.container.v1.ClusterManager.GetCluster",
            Cluster,
            AdminRead,
            "container.clusters.get",
        ),
        m(
            GCE,
            "v1.compute.instances.delete",
            Instance,
            AdminWrite,
            "compute.instances.delete",
        ),
        m(
            KMS,
            "Encrypt",
            CryptoKey,
            DataRead,
            "cloudkms.cryptoKeyVersions.useToEncrypt",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.TableService.ListTables",
            Dataset,
            AdminRead,
            "bigquery.tables.list",
        ),
        m(
            GCF,
            "google.cloud.functions.v2.FunctionService.GetFunction",
            Function,
            AdminRead,
            "cloudfunctions.functions.get",
        ),
        m(
            "iamcredentials.googleapis.com",
            "GenerateAccessToken",
            ServiceAccount,
            DataRead,
            "iam.serviceAccounts.getAccessToken",
        ),
        m(
            LOG,
            "google.logging.v2.LoggingServiceV2.ListLogEntries",
            Project,
            DataRead,
            "logging.logEntries.list",
        ),
        m(
            GCE,
            "v1.compute.instances.aggregatedList",
            Project,
            AdminRead,
            "compute.instances.list",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.DatasetService.GetDataset",
            Dataset,
            AdminRead,
            "bigquery.datasets.get",
        ),
        m(
            RUN,
            "google.cloud.run.v1.Services.GetService",
            RunService,
            AdminRead,
            "run.services.get",
        ),
        m(
            GCE,
            "v1.compute.instances.start",
            Instance,
            AdminWrite,
            "compute.instances.start",
        ),
        m(
            SQL,
            "cloudsql.instances.get",
            SqlInstance,
            AdminRead,
            "cloudsql.instances.get",
        ),
        m(
            PS,
            "google.pubsub.v1.Subscriber.GetSubscription",
            Subscription,
            AdminRead,
            "pubsub.subscriptions.get",
        ),
        m(
            GCE,
            "v1.compute.instances.stop",
            Instance,
            AdminWrite,
            "compute.instances.stop",
        ),
        m(GCE, "v1.compute.disks.list", Zone, AdminRead, "compute.disks.list"),
        m(
            IAM,
            "google.iam.admin.v1.ListServiceAccounts",
            Project,
            AdminRead,
            "iam.serviceAccounts.list",
        ),
        m(
            GCE,
            "v1.compute.firewalls.list",
            Project,
            AdminRead,
            "compute.firewalls.list",
        ),
        m(
            GCS,
            "storage.objects.update",
            Object,
            DataWrite,
            "storage.objects.update",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.DatasetService.ListDatasets",
            Project,
            AdminRead,
            "bigquery.datasets.get",
        ),
        m(
            GCE,
            "v1.compute.networks.list",
            Project,
            AdminRead,
            "compute.networks.list",
        ),
        m(
            GCF,
            "google.cloud.functions.v2.FunctionService.ListFunctions",
            Project,
            AdminRead,
            "cloudfunctions.functions.list",
        ),
        m(
            GKE,
            "google.container.v1.ClusterManager.ListClusters",
            Project,
            AdminRead,
            "container.clusters.list",
        ),
        m(
            SM,
            "google.cloud.secretmanager.v1.SecretManagerService.GetSecret",
            Secret,
            AdminRead,
            "secretmanager.secrets.get",
        ),
        m(
            GCE,
            "v1.compute.subnetworks.list",
            Project,
            AdminRead,
            "compute.subnetworks.list",
        ),
        m(
            GCS,
            "storage.getIamPermissions",
            Bucket,
            AdminRead,
            "storage.buckets.getIamPolicy",
        ),
        m(
            RUN,
            "google.cloud.run.v1.Services.ListServices",
            Project,
            AdminRead,
            "run.services.list",
        ),
        m(
            GCE,
            "v1.compute.instances.setMetadata",
            Instance,
            AdminWrite,
            "compute.instances.setMetadata",
        ),
        m(
            SQL,
            "cloudsql.instances.list",
            Project,
            AdminRead,
            "cloudsql.instances.list",
        ),
        m(
            GCE,
            "v1.compute.snapshots.list",
            Project,
            AdminRead,
            "compute.snapshots.list",
        ),
        m(
            IAM,
            "google.iam.admin.v1.GetServiceAccount",
            ServiceAccount,
            AdminRead,
            "iam.serviceAccounts.get",
        ),
        m(
            GCE,
            "v1.compute.disks.createSnapshot",
            Disk,
            AdminWrite,
            "compute.disks.createSnapshot",
        ),
        m(
            PS,
            "google.pubsub.v1.Publisher.GetTopic",
            Topic,
            AdminRead,
            "pubsub.topics.get",
        ),
        m(
            RUN,
            "google.cloud.run.v1.Services.ReplaceService",
            RunService,
            AdminWrite,
            "run.services.update",
        ),
        m(GCE, "v1.compute.images.list", Project, AdminRead, "compute.images.list"),
        m(
            BQ,
            "google.cloud.bigquery.v2.TableService.InsertTable",
            Table,
            AdminWrite,
            "bigquery.tables.create",
        ),
        m(
            SM,
            "google.cloud.secretmanager.v1.SecretManagerService.ListSecrets",
            Project,
            AdminRead,
            "secretmanager.secrets.list",
        ),
        m(
            LOG,
            "google.logging.v2.ConfigServiceV2.ListSinks",
            Project,
            AdminRead,
            "logging.sinks.list",
        ),
        m(
            GCF,
            "google.cloud.functions.v2.FunctionService.UpdateFunction",
            Function,
            AdminWrite,
            "cloudfunctions.functions.update",
        ),
        m(KMS, "GetCryptoKey", CryptoKey, AdminRead, "cloudkms.cryptoKeys.get"),
        m(
            GCE,
            "v1.compute.instanceGroupManagers.resize",
            Zone,
            AdminWrite,
            "compute.instanceGroupManagers.update",
        ),
        m(
            IAM,
            "google.iam.admin.v1.ListServiceAccountKeys",
            ServiceAccount,
            AdminRead,
            "iam.serviceAccountKeys.list",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.TableService.PatchTable",
            Table,
            AdminWrite,
            "bigquery.tables.update",
        ),
        m(
            GKE,
            "google.container.v1.ClusterManager.SetNodePoolSize",
            Cluster,
            AdminWrite,
            "container.clusters.update",
        ),
        m(
            GCE,
            "v1.compute.instances.reset",
            Instance,
            AdminWrite,
            "compute.instances.reset",
        ),
        m(
            SQL,
            "cloudsql.backupRuns.list",
            SqlInstance,
            AdminRead,
            "cloudsql.backupRuns.list",
        ),
        m(
            GCE,
            "v1.compute.instances.setLabels",
            Instance,
            AdminWrite,
            "compute.instances.setLabels",
        ),
        m(
            SM,
            "google.cloud.secretmanager.v1.SecretManagerService.AddSecretVersion",
            Secret,
            AdminWrite,
            "secretmanager.versions.add",
        ),
        m(
            "cloudbuild.googleapis.com",
            "google.devtools.cloudbuild.v1.CloudBuild.CreateBuild",
            Build,
            AdminWrite,
            "cloudbuild.builds.create",
        ),
        m(
            "cloudbuild.googleapis.com",
            "google.devtools.cloudbuild.v1.CloudBuild.GetBuild",
            Build,
            AdminRead,
            "cloudbuild.builds.get",
        ),
        m(
            "artifactregistry.googleapis.com",
            "google.devtools.artifactregistry.v1.ArtifactRegistry.ListDockerImages",
            Repository,
            AdminRead,
            "artifactregistry.dockerimages.list",
        ),
        m(GCE, "v1.compute.disks.insert", Disk, AdminWrite, "compute.disks.create"),
        m(
            PS,
            "google.pubsub.v1.Subscriber.CreateSubscription",
            Subscription,
            AdminWrite,
            "pubsub.subscriptions.create",
        ),
        m(
            GCE,
            "v1.compute.snapshots.delete",
            Snapshot,
            AdminWrite,
            "compute.snapshots.delete",
        ),
        m(
            "dns.googleapis.com",
            "dns.changes.create",
            ManagedZone,
            AdminWrite,
            "dns.changes.create",
        ),
        m(
            "dns.googleapis.com",
            "dns.managedZones.list",
            Project,
            AdminRead,
            "dns.managedZones.list",
        ),
        m(
            SQL,
            "cloudsql.instances.update",
            SqlInstance,
            AdminWrite,
            "cloudsql.instances.update",
        ),
        m(
            GCE,
            "v1.compute.firewalls.patch",
            Firewall,
            AdminWrite,
            "compute.firewalls.update",
        ),
        m(CRM, "GetProject", Project, AdminRead, "resourcemanager.projects.get"),
        m(
            GCF,
            "google.cloud.functions.v1.CloudFunctionsService.GetIamPolicy",
            Function,
            AdminRead,
            "cloudfunctions.functions.getIamPolicy",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.DatasetService.InsertDataset",
            Dataset,
            AdminWrite,
            "bigquery.datasets.create",
        ),
        m(
            GCS,
            "storage.buckets.update",
            Bucket,
            AdminWrite,
            "storage.buckets.update",
        ),
        m(
            IAM,
            "google.iam.admin.v1.ListRoles",
            Project,
            AdminRead,
            "iam.roles.list",
        ),
        m(
            GCE,
            "v1.compute.instanceTemplates.insert",
            Project,
            AdminWrite,
            "compute.instanceTemplates.create",
        ),
        m(
            SQL,
            "cloudsql.instances.restart",
            SqlInstance,
            AdminWrite,
            "cloudsql.instances.restart",
        ),
        m(
            GKE,
            "google.container.v1.ClusterManager.UpdateCluster",
            Cluster,
            AdminWrite,
            "container.clusters.update",
        ),
        m(
            PS,
            "google.pubsub.v1.Publisher.CreateTopic",
            Topic,
            AdminWrite,
            "pubsub.topics.create",
        ),
        m(
            "monitoring.googleapis.com",
            "google.monitoring.v3.AlertPolicyService.UpdateAlertPolicy",
            AlertPolicy,
            AdminWrite,
            "monitoring.alertPolicies.update",
        ),
        m(
            GCE,
            "v1.compute.firewalls.insert",
            Firewall,
            AdminWrite,
            "compute.firewalls.create",
        ),
        m(
            SQL,
            "cloudsql.instances.export",
            SqlInstance,
            AdminWrite,
            "cloudsql.instances.export",
        ),
        m(
            GCS,
            "storage.buckets.create",
            Project,
            AdminWrite,
            "storage.buckets.create",
        ),
        m(
            GCE,
            "v1.compute.images.insert",
            Image,
            AdminWrite,
            "compute.images.create",
        ),
        m(
            RUN,
            "google.cloud.run.v1.Revisions.DeleteRevision",
            RunService,
            AdminWrite,
            "run.revisions.delete",
        ),
        m(
            BQ,
            "google.cloud.bigquery.v2.TableService.DeleteTable",
            Table,
            AdminWrite,
            "bigquery.tables.delete",
        ),
        m(
            "serviceusage.googleapis.com",
            "google.api.serviceusage.v1.ServiceUsage.EnableService",
            Service,
            AdminWrite,
            "serviceusage.services.enable",
        ),
        m(
            IAM,
            "google.iam.admin.v1.CreateServiceAccount",
            Project,
            AdminWrite,
            "iam.serviceAccounts.create",
        ),
        m(
            CRM,
            "SetIamPolicy",
            Project,
            AdminWrite,
            "resourcemanager.projects.setIamPolicy",
        ),
        m(
            GCE,
            "v1.compute.firewalls.delete",
            Firewall,
            AdminWrite,
            "compute.firewalls.delete",
        ),
        m(
            KMS,
            "CreateCryptoKeyVersion",
            CryptoKey,
            AdminWrite,
            "cloudkms.cryptoKeyVersions.create",
        ),
        m(
            PS,
            "google.pubsub.v1.Subscriber.DeleteSubscription",
            Subscription,
            AdminWrite,
            "pubsub.subscriptions.delete",
        ),
        m(
            IAM,
            "google.iam.admin.v1.UpdateRole",
            Role,
            AdminWrite,
            "iam.roles.update",
        ),
        m(
            GCE,
            "v1.compute.networks.get",
            Network,
            AdminRead,
            "compute.networks.get",
        ),
        m(
            LOG,
            "google.logging.v2.ConfigServiceV2.GetSink",
            Sink,
            AdminRead,
            "logging.sinks.get",
        ),
        m(
            GCE,
            "v1.compute.subnetworks.setPrivateIpGoogleAccess",
            Subnetwork,
            AdminWrite,
            "compute.subnetworks.setPrivateIpGoogleAccess",
        ),
    ])
});

/// What Google itself does to the organisation's resources, in the system event log.
pub static GCP_SYSTEM: [&str; 3] = [
    "compute.instances.automaticRestart",
    "compute.instances.preempted",
    "compute.instances.migrateOnHostMaintenance",
];

/// One Azure Activity Log operation and the resource it acts on (`RESOURCEGROUPS/…` without the
/// subscription, the numbered name's number left off).
#[derive(Debug)]
pub struct Operation {
    pub name: &'static str,
    pub resource: String,
}

pub static AZURE: LazyLock<Table<Operation>> = LazyLock::new(|| {
    Table::steep(
        [
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "Microsoft.Resources/deployments/write",
            "Microsoft.Compute/virtualMachines/start/action",
            "Microsoft.Compute/virtualMachines/deallocate/action",
            "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
            "Microsoft.Resources/deployments/validate/action",
            "Microsoft.OperationalInsights/workspaces/sharedKeys/action",
            "Microsoft.Resources/tags/write",
            "Microsoft.Network/networkInterfaces/write",
            "Microsoft.Compute/virtualMachines/write",
            "Microsoft.Web/sites/write",
            "Microsoft.Compute/virtualMachineScaleSets/write",
            "Microsoft.Web/sites/restart/action",
            "Microsoft.Compute/disks/write",
            "Microsoft.Compute/virtualMachines/restart/action",
            "Microsoft.Insights/metricAlerts/write",
            "Microsoft.Network/publicIPAddresses/write",
            "Microsoft.Compute/snapshots/write",
            "Microsoft.Web/sites/config/write",
            "Microsoft.Compute/virtualMachines/extensions/write",
            "Microsoft.ContainerService/managedClusters/agentPools/write",
            "Microsoft.KeyVault/vaults/secrets/write",
            "Microsoft.Sql/servers/databases/write",
            "Microsoft.Compute/virtualMachines/powerOff/action",
            "Microsoft.DocumentDB/databaseAccounts/listKeys/action",
            "Microsoft.Web/sites/slots/slotsswap/action",
            "Microsoft.Network/virtualNetworks/subnets/write",
            "Microsoft.Cache/redis/listKeys/action",
            "Microsoft.Insights/actionGroups/write",
            "Microsoft.Compute/snapshots/delete",
            "Microsoft.DataFactory/factories/pipelines/createRun/action",
            "Microsoft.Network/loadBalancers/write",
            "Microsoft.ServiceBus/namespaces/authorizationRules/listKeys/action",
            "Microsoft.Resources/subscriptions/resourceGroups/write",
            "Microsoft.Compute/disks/delete",
            "Microsoft.Network/privateDnsZones/A/write",
            "Microsoft.Web/sites/functions/write",
            "Microsoft.App/containerApps/write",
            "Microsoft.Network/networkInterfaces/delete",
            "Microsoft.Storage/storageAccounts/listAccountSas/action",
            "Microsoft.Insights/components/write",
            "Microsoft.ContainerInstance/containerGroups/write",
            "Microsoft.Automation/automationAccounts/jobs/write",
            "Microsoft.Web/sites/publishxml/action",
            "Microsoft.KeyVault/vaults/write",
            "Microsoft.DBforPostgreSQL/flexibleServers/write",
            "Microsoft.Compute/images/write",
            "Microsoft.Network/privateEndpoints/write",
            "Microsoft.Insights/scheduledQueryRules/write",
            "Microsoft.Network/publicIPAddresses/delete",
            "Microsoft.Logic/workflows/write",
            "Microsoft.ContainerRegistry/registries/write",
            "Microsoft.Web/serverfarms/write",
            "Microsoft.Network/dnszones/A/write",
            "Microsoft.Compute/virtualMachines/delete",
            "Microsoft.CognitiveServices/accounts/listKeys/action",
            "Microsoft.Sql/servers/firewallRules/write",
            "Microsoft.DBforPostgreSQL/flexibleServers/restart/action",
            "Microsoft.Web/sites/stop/action",
            "Microsoft.Web/sites/start/action",
            "Microsoft.Network/virtualNetworks/write",
            "Microsoft.Storage/storageAccounts/managementPolicies/write",
            "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/backup/action",
            "Microsoft.Compute/galleries/images/versions/write",
            "Microsoft.KeyVault/vaults/accessPolicies/write",
            "Microsoft.Cdn/profiles/endpoints/purge/action",
            "Microsoft.EventHub/namespaces/write",
            "Microsoft.ServiceBus/namespaces/queues/write",
            "Microsoft.Authorization/locks/write",
            "Microsoft.Network/routeTables/write",
            "Microsoft.Cache/redis/write",
            "Microsoft.ContainerService/managedClusters/write",
            "Microsoft.Maintenance/configurationAssignments/write",
            "Microsoft.Automation/automationAccounts/runbooks/write",
            "Microsoft.DocumentDB/databaseAccounts/write",
            "Microsoft.Network/applicationGateways/write",
            "Microsoft.Security/pricings/write",
            "Microsoft.Network/natGateways/write",
            "Microsoft.Resources/deploymentScripts/write",
            "Microsoft.Network/bastionHosts/write",
            "Microsoft.CognitiveServices/accounts/write",
            "Microsoft.Network/azureFirewalls/write",
            "Microsoft.Storage/storageAccounts/blobServices/containers/write",
            "Microsoft.Network/networkSecurityGroups/write",
            "Microsoft.Storage/storageAccounts/write",
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            "Microsoft.Authorization/policyAssignments/write",
            "Microsoft.ManagedIdentity/userAssignedIdentities/write",
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "Microsoft.Resources/subscriptions/resourceGroups/delete",
        ]
        .map(|name| Operation {
            name,
            resource: azure_resource(name),
        }),
    )
});

/// The resource an Azure operation acts on, as the diagnostic export writes it (upper case), in
/// the resource group its kind lives in; the last name is numbered per call.
fn azure_resource(operation: &str) -> String {
    let parts: Vec<&str> = operation.split('/').collect();
    let provider = parts[0];
    // `…/type/verb` or `…/type/name/action`: the types are what is left.
    let end = if parts[parts.len() - 1] == "action" {
        parts.len() - 2
    } else {
        parts.len() - 1
    };
    let types = &parts[1..end];
    match (provider, types) {
        ("Microsoft.Resources", ["subscriptions", "resourceGroups"]) => return "RESOURCEGROUPS/RG-PROJECT-".into(),
        ("Microsoft.Authorization", [kind]) => {
            return format!(
                "PROVIDERS/MICROSOFT.AUTHORIZATION/{}/6A1B2C3D-0000-4000-8000-00000000",
                kind.to_ascii_uppercase()
            );
        }
        _ => {}
    }
    let group = match provider {
        "Microsoft.Compute" => "APP",
        "Microsoft.Network" => "NET",
        "Microsoft.Storage"
        | "Microsoft.Sql"
        | "Microsoft.DBforPostgreSQL"
        | "Microsoft.DocumentDB"
        | "Microsoft.DataFactory" => "DATA",
        "Microsoft.KeyVault" | "Microsoft.Security" => "SEC",
        "Microsoft.Web" | "Microsoft.Cdn" | "Microsoft.App" => "WEB",
        "Microsoft.ContainerService" | "Microsoft.ContainerRegistry" | "Microsoft.ContainerInstance" => "AKS",
        "Microsoft.Insights" | "Microsoft.OperationalInsights" => "MONITORING",
        _ => "PLATFORM",
    };
    let mut path = format!("RESOURCEGROUPS/{group}/PROVIDERS/{provider}");
    for (i, kind) in types.iter().enumerate() {
        let name = match *kind {
            "virtualMachines" => "vm-",
            "virtualMachineScaleSets" => "vmss-",
            "disks" => "disk-",
            "snapshots" => "snap-",
            "images" => "img-",
            "networkInterfaces" => "nic-",
            "publicIPAddresses" => "pip-",
            "virtualNetworks" => "vnet-",
            "subnets" => "snet-",
            "networkSecurityGroups" => "nsg-",
            "securityRules" => "rule-",
            "storageAccounts" => "acmedata",
            "blobServices" => "default",
            "containers" => "container-",
            "vaults" => "kv-",
            "sites" => "portal-",
            "serverfarms" => "plan-",
            "servers" => "sql-",
            "databases" => "db-",
            "managedClusters" => "aks-",
            "agentPools" => "pool",
            "registries" => "acmecr",
            "workspaces" => "log-",
            "components" => "appi-",
            _ => "",
        };
        let name = if name.is_empty() {
            format!("{}-", kind.trim_end_matches('s').to_ascii_lowercase())
        } else {
            name.to_string()
        };
        // Parents are named; the last resource is numbered per call.
        let name = if i + 1 < types.len() && !name.ends_with("default") {
            format!("{name}0")
        } else {
            name
        };
        path.push_str(&format!("/{kind}/{name}"));
    }
    path.to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_resources_follow_their_operations() {
        assert_eq!(
            azure_resource("Microsoft.Compute/virtualMachines/start/action"),
            "RESOURCEGROUPS/APP/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/VM-"
        );
        assert_eq!(
            azure_resource("Microsoft.Storage/storageAccounts/blobServices/containers/write"),
            "RESOURCEGROUPS/DATA/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/ACMEDATA0/BLOBSERVICES/DEFAULT/CONTAINERS/CONTAINER-"
        );
        assert_eq!(
            azure_resource("Microsoft.Resources/subscriptions/resourceGroups/write"),
            "RESOURCEGROUPS/RG-PROJECT-"
        );
    }

    #[test]
    fn the_catalogue_holds_hundreds_of_distinct_actions() {
        let mut names = std::collections::BTreeSet::new();
        for table in [&*PERSON, &*CI, &*WORKLOAD, &*SERVICE, &*DATA] {
            names.extend(table.items().iter().map(|a| (a.source, a.name)));
        }
        let aws = names.len();
        let gcp: std::collections::BTreeSet<_> = GCP.items().iter().map(|m| m.method).collect();
        let azure: std::collections::BTreeSet<_> = AZURE.items().iter().map(|o| o.name).collect();
        assert_eq!(gcp.len(), GCP.items().len(), "no method twice");
        assert_eq!(azure.len(), AZURE.items().len(), "no operation twice");
        assert!(
            aws + gcp.len() + azure.len() > 300,
            "{aws} + {} + {}",
            gcp.len(),
            azure.len()
        );
    }
}
