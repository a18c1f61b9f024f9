//! The demo's world: an organisation with two dozen AWS accounts, a handful of GCP projects and
//! Azure subscriptions, people, CI systems and services. Names are fixed (the README's walkthrough
//! refers to them); only the background traffic depends on the seed.

/// The AWS account whose CI user's key leaks.
pub const CI_ACCOUNT: &str = "356789012345";
/// The production account the attacker hops into.
pub const PROD_ACCOUNT: &str = "210987654321";
pub const CI_USER: &str = "ci-deployer";
pub const CI_KEY: &str = "AKIA2CIDEPLOYER7QX4M";
/// Where the stolen key is used from: an address never seen before.
pub const ATTACKER_IP: &str = "203.0.113.66";
pub const ATTACKER_AGENT: &str = "python-requests/2.31.0";
/// The function the attacker deploys, in AWS and in GCP.
pub const FUNCTION: &str = "invoice-sync";
pub const GCP_PROJECT: &str = "acme-payments-prod";
pub const GCP_DEPLOYER: &str = "ci-deployer@acme-ci-build.iam.gserviceaccount.com";
pub const AZURE_SUBSCRIPTION: &str = "7c1e4f2a-9b3d-4e5f-8a6b-0c1d2e3f4a5b";
/// The app that is granted Owner: nobody in the organisation registered it (its application id,
/// registered in a directory outside the organisation).
pub const UNKNOWN_APP: &str = "f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0";
/// The name it was registered under, made to look like one of the organisation's own.
pub const UNKNOWN_APP_NAME: &str = "InvoiceSync Connector";
/// Its service principal in the organisation's directory (the object the consent created).
pub const UNKNOWN_APP_OBJECT: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
/// The password credential added to that service principal, as its sign-in names the key.
pub const UNKNOWN_APP_KEY: &str = "3c9e5b1a-7d2f-4e8a-9b6c-0d1e2f3a4b5c";

/// The organisation's Entra ID directory: its subscriptions' tenant, its people's sign-ins.
pub const ENTRA_TENANT: &str = "5b0d2c1e-7a4f-4c3b-9e8d-1f2a3b4c5d6e";
/// The directory administrator whose account consents to the unknown app; on the last evening it
/// signs in from the attacker's address with a password only.
pub const ENTRA_ADMIN: &str = "carol@acme.example";

pub const AWS_ACCOUNTS: [(&str, &str); 24] = [
    (CI_ACCOUNT, "ci"),
    (PROD_ACCOUNT, "payments-prod"),
    ("210987654322", "payments-staging"),
    ("118273645501", "identity"),
    ("118273645502", "logging"),
    ("118273645503", "security"),
    ("230456789011", "web-prod"),
    ("230456789012", "web-staging"),
    ("341567890123", "data-lake"),
    ("341567890124", "analytics"),
    ("452678901234", "mobile-backend"),
    ("452678901235", "mobile-staging"),
    ("563789012345", "search"),
    ("563789012346", "ml-training"),
    ("674890123456", "billing"),
    ("674890123457", "support-tools"),
    ("785901234567", "networking"),
    ("785901234568", "shared-services"),
    ("896012345678", "sandbox-alice"),
    ("896012345679", "sandbox-bob"),
    ("907123456789", "legacy-erp"),
    ("907123456780", "partner-api"),
    ("018234567890", "dr-backup"),
    ("018234567891", "marketing-site"),
];

pub const AWS_REGIONS: [(&str, u32); 4] = [
    ("us-east-1", 60),
    ("eu-west-1", 25),
    ("us-west-2", 12),
    ("ap-southeast-2", 3),
];

pub const GCP_PROJECTS: [&str; 8] = [
    GCP_PROJECT,
    "acme-payments-dev",
    "acme-ci-build",
    "acme-data-warehouse",
    "acme-web",
    "acme-ml",
    "acme-shared-vpc",
    "acme-sandbox",
];
pub const GCP_REGIONS: [&str; 3] = ["us-central1", "europe-west1", "us-east4"];

pub const AZURE_SUBSCRIPTIONS: [&str; 5] = [
    AZURE_SUBSCRIPTION,
    "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f",
    "4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f80",
];
pub const AZURE_LOCATIONS: [&str; 3] = ["eastus", "westeurope", "global"];

/// People: a name, their office address and their e-mail.
pub const PEOPLE: [(&str, &str); 12] = [
    ("alice", "198.51.100.10"),
    ("bob", "198.51.100.11"),
    ("carol", "198.51.100.12"),
    ("dave", "198.51.100.13"),
    ("erin", "198.51.100.14"),
    ("frank", "198.51.100.15"),
    ("grace", "198.51.100.16"),
    ("heidi", "198.51.100.17"),
    ("ivan", "198.51.100.18"),
    ("judy", "198.51.100.19"),
    ("mallory-the-intern", "198.51.100.20"),
    ("oscar", "198.51.100.21"),
];

/// CI runners' addresses (the leaked key's usual places).
pub const CI_IPS: [&str; 4] = ["192.0.2.40", "192.0.2.41", "192.0.2.42", "192.0.2.43"];
pub const CI_AGENT: &str = "aws-cli/2.17.20 Python/3.11.9 Linux/6.5.0-1022-azure exe/x86_64.ubuntu.22 GitHub-Actions";

pub const AWS_SERVICES: [&str; 6] = [
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "autoscaling.amazonaws.com",
    "cloudformation.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "config.amazonaws.com",
];

pub const SSO_ROLES: [&str; 3] = [
    "AWSReservedSSO_Administrator_1f2e3d4c5b6a7980",
    "AWSReservedSSO_PowerUser_0a9b8c7d6e5f4a3b",
    "AWSReservedSSO_ReadOnly_5a4b3c2d1e0f9a8b",
];

pub const GCP_SERVICE_ACCOUNTS: [&str; 4] = [
    GCP_DEPLOYER,
    "etl-runner@acme-data-warehouse.iam.gserviceaccount.com",
    "web-frontend@acme-web.iam.gserviceaccount.com",
    "trainer@acme-ml.iam.gserviceaccount.com",
];

pub const AZURE_APPS: [&str; 3] = [
    "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "1c2d3e4f-5a6b-4c7d-9e8f-0a1b2c3d4e5f",
    "2d3e4f5a-6b7c-4d8e-8f9a-1b2c3d4e5f6a",
];
/// Their names in the directory: the first is the CI pipeline's.
pub const AZURE_APP_NAMES: [&str; 3] = ["acme-ci-pipeline", "acme-billing-export", "acme-monitoring-agent"];

/// Workloads' IAM roles: each runs on a few instances (its sessions) in every account.
pub const WORKLOAD_ROLES: [&str; 8] = [
    "app-runtime",
    "batch-jobs",
    "etl-pipeline",
    "backup-agent",
    "ecs-task-web",
    "eks-node-group",
    "lambda-exec-api",
    "data-sync",
];
