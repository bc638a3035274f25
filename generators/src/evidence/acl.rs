//! Per-case roles, owners, grants (with grant option, to PUBLIC, by non-owner
//! grantors) and the disturbances an owner/ACL replay must undo.

use super::function::{arb_fn_family, arb_name, FnFamily, Owner};
use crate::ident::arb_hostile_ident;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// A role created (uniquely named, with a runtime suffix) and dropped by the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSpec {
    /// Appended to the role's unique prefix; may need quoting.
    pub tail: Option<String>,
    /// `LOGIN` or `NOLOGIN`.
    pub login: bool,
    /// Indices (mod role count) of roles this one is a member of.
    pub member_of: Vec<u8>,
}

/// Who receives a privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// `PUBLIC`
    Public,
    /// Case role `i % roles.len()`.
    Role(u8),
}

/// Who issues a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantor {
    /// The object's owner (a superuser GRANT acts as the owner).
    Owner,
    /// Case role `i % roles.len()` (effective only if it holds the grant option).
    Role(u8),
}

/// A privilege on a function or table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Privilege {
    /// `EXECUTE` (functions)
    Execute,
    /// `SELECT`
    Select,
    /// `INSERT`
    Insert,
    /// `UPDATE`
    Update,
    /// `DELETE`
    Delete,
    /// `TRUNCATE`
    Truncate,
    /// `REFERENCES`
    References,
    /// `TRIGGER`
    Trigger,
}

impl Privilege {
    /// The SQL keyword.
    pub fn sql(self) -> &'static str {
        match self {
            Privilege::Execute => "EXECUTE",
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
        }
    }

    /// Coverage name (`grant:<privilege>`).
    pub fn name(self) -> String {
        self.sql().to_lowercase()
    }
}

/// One GRANT applied while building the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantSpec {
    /// Index (mod object count) of the object.
    pub object: u8,
    /// Privilege (mapped to EXECUTE on functions).
    pub privilege: Privilege,
    /// Grantee.
    pub to: Grantee,
    /// `WITH GRANT OPTION` (ignored for PUBLIC).
    pub grant_option: bool,
    /// Issuer.
    pub by: Grantor,
}

/// A table whose owner and ACL are snapshotted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    /// Name (may need quoting).
    pub name: String,
    /// Owner.
    pub owner: Owner,
    /// Create a view over it instead of a plain table.
    pub view: bool,
}

/// The objects of an ACL case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclObjects {
    /// Functions (overloads included).
    pub functions: FnFamily,
    /// Tables and views.
    pub tables: Vec<TableSpec>,
}

/// Something done to owners/ACLs after the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Disturbance {
    /// `ALTER ... OWNER TO`.
    ChangeOwner {
        /// Object index.
        object: u8,
        /// New owner.
        to: Owner,
    },
    /// `REVOKE ALL ... FROM ... CASCADE` (as superuser, i.e. as the owner).
    RevokeAll {
        /// Object index.
        object: u8,
        /// From whom.
        from: Grantee,
    },
    /// A further grant.
    Grant(GrantSpec),
    /// `qt001_cp.revoke_only` (functions only; tables ignore it).
    RevokeOnly {
        /// Object index.
        object: u8,
    },
}

/// Case roles: 1..=`max`.
pub fn arb_roles(max: usize) -> impl Strategy<Value = Vec<RoleSpec>> {
    prop::collection::vec(
        (
            prop::option::weighted(0.3, arb_hostile_ident()),
            any::<bool>(),
            prop::collection::vec(any::<u8>(), 0..=1),
        )
            .prop_map(|(tail, login, member_of)| RoleSpec {
                tail,
                login,
                member_of,
            }),
        1..=max.max(1),
    )
}

fn arb_grantee() -> impl Strategy<Value = Grantee> {
    prop_oneof![1 => Just(Grantee::Public), 3 => any::<u8>().prop_map(Grantee::Role)]
}

fn arb_privilege() -> impl Strategy<Value = Privilege> {
    prop_oneof![
        Just(Privilege::Select),
        Just(Privilege::Insert),
        Just(Privilege::Update),
        Just(Privilege::Delete),
        Just(Privilege::Truncate),
        Just(Privilege::References),
        Just(Privilege::Trigger),
    ]
}

/// A grant on some object.
pub fn arb_grant() -> impl Strategy<Value = GrantSpec> {
    (
        any::<u8>(),
        arb_privilege(),
        arb_grantee(),
        any::<bool>(),
        prop_oneof![2 => Just(Grantor::Owner), 1 => any::<u8>().prop_map(Grantor::Role)],
    )
        .prop_map(|(object, privilege, to, grant_option, by)| GrantSpec {
            object,
            privilege,
            to,
            grant_option,
            by,
        })
}

/// Grants in application order (chains come from earlier grants with grant option).
pub fn arb_grants(max: usize) -> impl Strategy<Value = Vec<GrantSpec>> {
    prop::collection::vec(arb_grant(), 0..=max)
}

/// A table or view.
pub fn arb_table() -> impl Strategy<Value = TableSpec> {
    (
        arb_name(),
        prop_oneof![1 => Just(Owner::Superuser), 3 => any::<u8>().prop_map(Owner::Role)],
        prop::bool::weighted(0.25),
    )
        .prop_map(|(name, owner, view)| TableSpec { name, owner, view })
}

/// Objects of an ACL case: 1..=2 overloads and 0..=2 tables (names made distinct).
pub fn arb_acl_objects() -> impl Strategy<Value = AclObjects> {
    (arb_fn_family(2), prop::collection::vec(arb_table(), 0..=2)).prop_map(|(functions, tables)| {
        let mut seen = std::collections::BTreeSet::new();
        let tables = tables
            .into_iter()
            .filter(|t| seen.insert(t.name.clone()))
            .collect();
        AclObjects { functions, tables }
    })
}

/// A disturbance.
pub fn arb_disturbance() -> impl Strategy<Value = Disturbance> {
    prop_oneof![
        2 => (any::<u8>(), prop_oneof![1 => Just(Owner::Superuser), 3 => any::<u8>().prop_map(Owner::Role)])
            .prop_map(|(object, to)| Disturbance::ChangeOwner { object, to }),
        2 => (any::<u8>(), arb_grantee()).prop_map(|(object, from)| Disturbance::RevokeAll { object, from }),
        2 => arb_grant().prop_map(Disturbance::Grant),
        1 => any::<u8>().prop_map(|object| Disturbance::RevokeOnly { object }),
    ]
}

/// Input of EVID-ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclInput {
    /// Schema name.
    pub schema: String,
    /// Case roles.
    pub roles: Vec<RoleSpec>,
    /// Functions and tables.
    pub objects: AclObjects,
    /// Grants before the snapshot.
    pub grants: Vec<GrantSpec>,
    /// Revoke the default EXECUTE from PUBLIC on the functions first.
    pub revoke_public_default: bool,
    /// What happens between snapshot and replay.
    pub disturbances: Vec<Disturbance>,
}

/// EVID-ACL input.
pub fn arb_acl_input() -> impl Strategy<Value = AclInput> {
    // shrink order: what happens first, then the setup
    (
        prop::collection::vec(arb_disturbance(), 1..=5),
        arb_grants(8),
        arb_acl_objects(),
        arb_roles(4),
        any::<bool>(),
        arb_name(),
    )
        .prop_map(
            |(disturbances, grants, objects, roles, revoke_public_default, schema)| AclInput {
                schema,
                roles,
                objects,
                grants,
                revoke_public_default,
                disturbances,
            },
        )
}
