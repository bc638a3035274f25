//! Building a generated function case, and the checks several properties share.

use super::fixture::{diff_states, Fixture, ObjState};
use crate::case::CaseError;
use crate::pg::{answer, Answer};
use crate::sandbox::Sandbox;
use pgconform_generators::evidence::FnCase;
use std::collections::BTreeMap;

/// A built function case: family members are `fns[0..family]`, the
/// differently named function is `fns[family]`.
pub struct FnFixture {
    /// The database, roles and functions.
    pub fx: Fixture,
    /// Number of family members.
    pub family: usize,
}

impl FnFixture {
    /// Build `case`: schema, roles, functions, PUBLIC revocation, grants.
    pub fn build(sandbox: &dyn Sandbox, case: &FnCase) -> Result<Self, CaseError> {
        let mut fx = Fixture::new(sandbox, &case.schema, &case.roles)?;
        for m in &case.family.members {
            fx.create_function(&case.family.name, m)?;
        }
        let family = fx.fns.len();
        let mut other_name = format!("{}_other", case.family.name);
        if other_name.len() > 63 {
            other_name = format!("other_{}", family);
        }
        fx.create_function(&other_name, &case.other)?;
        if case.revoke_public_default {
            for i in 0..fx.fns.len() {
                let sql = format!("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC", fx.fns[i].ident);
                fx.db.batch_execute(&sql).map_err(CaseError::env)?;
            }
        }
        let targets: Vec<(bool, u32)> = fx.fns.iter().map(|f| (true, f.oid)).collect();
        fx.apply_grants(&case.grants, &targets)?;
        fx.precall_all()?;
        Ok(Self { fx, family })
    }

    /// Index of family member `t`.
    pub fn member(&self, t: u8) -> usize {
        usize::from(t) % self.family
    }

    /// Another function for "bound to another object": a sibling overload
    /// when `sibling` and one exists, else the differently named function.
    pub fn other_of(&self, i: usize, sibling: bool) -> usize {
        if sibling && self.family > 1 {
            (i + 1) % self.family
        } else {
            self.family
        }
    }

    /// A name for an oid in failure messages.
    pub fn namer(&self) -> impl Fn(u32) -> String + '_ {
        move |oid| {
            self.fx
                .fns
                .iter()
                .find(|f| f.oid == oid)
                .map(|f| f.ident.clone())
                .unwrap_or_else(|| format!("oid {oid}"))
        }
    }

    /// Fail unless the harness-computed states equal `before`.
    pub fn expect_states(
        &mut self,
        before: &BTreeMap<u32, ObjState>,
        what: &str,
    ) -> Result<(), CaseError> {
        let after = self.fx.fn_states()?;
        if let Some((exp, act)) = diff_states(before, &after, &self.namer()) {
            return Err(CaseError::mismatch(what.to_owned(), exp, act));
        }
        Ok(())
    }

    /// Call function `i`: `Ok(Some(result))`, or `Ok(None)` when it raised.
    pub fn call(&mut self, i: usize) -> Result<Option<String>, CaseError> {
        let sql = self.fx.fns[i].call.clone();
        Ok(match answer(self.fx.db.query_one(sql.as_str(), &[]))? {
            Answer::Ok(row) => row.try_get::<_, Option<String>>(0).ok().flatten(),
            Answer::Err { .. } => None,
        })
    }
}
