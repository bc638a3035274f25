//! EVID-ACL: replay of a sealed owner/ACL snapshot restores the owner and the
//! exact aclitem set of every object, whatever happened in between.

use super::fixture::{diff_states, Fixture, ObjState};
use super::kernel_client;
use super::restore::expect_accepted;
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::quote_ident;
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::evidence::{arb_acl_input, AclInput, Disturbance, Grantee, Grantor};
use std::collections::BTreeMap;

declare_property! {
    /// The EVID-ACL property.
    EvidAcl {
        input: AclInput,
        meta: InvariantMeta::new(
            "EVID-ACL",
            Suite::Evidence,
            "owner/ACL replay restores owner and the exact aclitem set",
            "004_73545968f3559826.txt",
            "For any generated functions/tables, owners, roles (with memberships) and grants \
             (privileges, WITH GRANT OPTION, PUBLIC, grant chains by non-owner grantors): \
             snapshot_owner_acl, then owner changes, revokes, further grants and revoke_only, \
             then replay_owner_acl restores every object's owner and exact aclitem set \
             (grantor, grantee, privilege, grantable) as the harness saw them.",
            24,
        ),
        strategy: arb_acl_input,
        coverage: acl_coverage,
        check: acl_replay_restores,
    }
}

/// EVID-ACL's coverage: languages, security modes, grants and disturbances
/// that actually happen.
fn acl_coverage(input: &AclInput) -> Vec<String> {
    let mut v = Vec::new();
    for m in &input.objects.functions.members {
        v.push(format!("lang:{}", m.lang.name()));
        v.push(format!("security:{}", m.security.name()));
    }
    let nf = input.objects.functions.members.len();
    let n = nf + input.objects.tables.len();
    if n == 0 {
        return v;
    }
    // coverage claims only what happens: a grant the owner issues is always
    // made (a role's may be refused by PostgreSQL), and revoke_only is
    // applied to functions only
    let grants = input
        .grants
        .iter()
        .chain(input.disturbances.iter().filter_map(|d| match d {
            Disturbance::Grant(g) => Some(g),
            _ => None,
        }));
    for g in grants.filter(|g| g.by == Grantor::Owner) {
        let is_fn = usize::from(g.object) % n < nf;
        v.push(format!(
            "grant:{}",
            if is_fn {
                "execute".into()
            } else {
                g.privilege.name()
            }
        ));
        if g.grant_option && g.to != Grantee::Public {
            v.push("grant:with_grant_option".into());
        }
        if g.to == Grantee::Public {
            v.push("grant:public".into());
        }
    }
    for d in &input.disturbances {
        let class = match d {
            Disturbance::ChangeOwner { .. } => "disturb:owner",
            Disturbance::RevokeAll { .. } => "disturb:revoke",
            Disturbance::Grant(_) => "disturb:grant",
            Disturbance::RevokeOnly { object } if usize::from(*object) % n < nf => {
                "disturb:revoke_only"
            }
            Disturbance::RevokeOnly { .. } => continue,
        };
        v.push(class.to_owned());
    }
    v
}

/// EVID-ACL's check.
fn acl_replay_restores(sandbox: &dyn Sandbox, input: &AclInput) -> CaseResult {
    let mut fx = Fixture::new(sandbox, &input.schema, &input.roles)?;
    let objects = create_objects(&mut fx, input)?;
    let before = fx.all_states()?;
    let snap = kernel_client::snapshot(&mut fx.db, &objects.names)?;
    for d in &input.disturbances {
        disturb(&mut fx, input, &objects, d)?;
    }
    replay_restores(&mut fx, &objects, snap, &before)
}

/// The case's objects, functions first: `(is_function, oid)` and the
/// qualified name of each, in the same order.
struct Objects {
    targets: Vec<(bool, u32)>,
    names: Vec<String>,
}

/// Create the input's functions and tables, revoke PUBLIC's default EXECUTE
/// if asked, and issue the input's grants.
fn create_objects(fx: &mut Fixture, input: &AclInput) -> Result<Objects, CaseError> {
    for m in &input.objects.functions.members {
        fx.create_function(&input.objects.functions.name, m)?;
    }
    for t in &input.objects.tables {
        fx.create_table(t)?;
    }
    if input.revoke_public_default {
        for i in 0..fx.fns.len() {
            let sql = format!("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC", fx.fns[i].ident);
            fx.db.batch_execute(&sql).map_err(CaseError::env)?;
        }
    }
    let targets: Vec<(bool, u32)> = fx
        .fns
        .iter()
        .map(|f| (true, f.oid))
        .chain(fx.rels.iter().map(|r| (false, r.oid)))
        .collect();
    fx.apply_grants(&input.grants, &targets)?;
    let names: Vec<String> = fx
        .fns
        .iter()
        .map(|f| f.ident.clone())
        .chain(fx.rels.iter().map(|r| r.ident.clone()))
        .collect();
    Ok(Objects { targets, names })
}

/// Apply one disturbance between the snapshot and the replay.
fn disturb(fx: &mut Fixture, input: &AclInput, objects: &Objects, d: &Disturbance) -> CaseResult {
    let (targets, names) = (&objects.targets, &objects.names);
    let idx = |o: u8| usize::from(o) % targets.len();
    match d {
        Disturbance::ChangeOwner { object, to } => {
            let i = idx(*object);
            let to = quote_ident(&fx.owner_name(*to));
            let sql = if targets[i].0 {
                format!("ALTER FUNCTION {} OWNER TO {to}", names[i])
            } else {
                let view = input.objects.tables[i - fx.fns.len()].view;
                format!(
                    "ALTER {} {} OWNER TO {to}",
                    if view { "VIEW" } else { "TABLE" },
                    names[i]
                )
            };
            fx.db.batch_execute(&sql).map_err(CaseError::env)?;
        }
        Disturbance::RevokeAll { object, from } => {
            let i = idx(*object);
            let from = match from {
                Grantee::Public => "PUBLIC".to_owned(),
                Grantee::Role(r) => quote_ident(&fx.role(*r)),
            };
            let on = if targets[i].0 { "FUNCTION" } else { "TABLE" };
            let sql = format!("REVOKE ALL ON {on} {} FROM {from} CASCADE", names[i]);
            fx.db.batch_execute(&sql).map_err(CaseError::env)?;
        }
        Disturbance::Grant(g) => {
            fx.apply_grants(std::slice::from_ref(g), targets)?;
        }
        Disturbance::RevokeOnly { object } => {
            let i = idx(*object);
            if targets[i].0 {
                expect_accepted(
                    kernel_client::revoke_only(&mut fx.db, targets[i].1)?,
                    "revoke_only",
                    kernel_client::REVOKE_ONLY_SQL,
                )?;
            }
        }
    }
    Ok(())
}

/// replay_owner_acl restores every object's owner and ACL as they were
/// `before`, and replaying again changes nothing.
fn replay_restores(
    fx: &mut Fixture,
    objects: &Objects,
    snap: uuid::Uuid,
    before: &BTreeMap<u32, ObjState>,
) -> CaseResult {
    let namer = |oid: u32| {
        objects
            .targets
            .iter()
            .position(|t| t.1 == oid)
            .map(|i| objects.names[i].clone())
            .unwrap_or_else(|| format!("oid {oid}"))
    };
    // A replay (`what`), which must be accepted, and how the owners and ACLs
    // then differ from `before`, if they do.
    let mut replay = |what: &str| -> Result<Option<(String, String)>, CaseError> {
        expect_accepted(
            kernel_client::replay(&mut fx.db, snap)?,
            what,
            kernel_client::REPLAY_SQL,
        )?;
        Ok(diff_states(before, &fx.all_states()?, &namer))
    };
    if let Some((exp, act)) = replay("replay_owner_acl")? {
        return Err(CaseError::mismatch(
            "after replay_owner_acl, owner or ACL differ from the snapshot".to_string(),
            exp,
            act,
        )
        .with_sql(kernel_client::REPLAY_SQL));
    }
    // replaying again changes nothing
    if let Some((exp, act)) = replay("a second replay_owner_acl")? {
        return Err(CaseError::mismatch(
            "a second replay is not idempotent".to_string(),
            exp,
            act,
        ));
    }
    Ok(())
}
