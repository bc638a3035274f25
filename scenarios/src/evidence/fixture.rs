//! A case's database: schema, per-case roles, generated functions/tables and
//! grants; and the harness's own view of the catalog (definition hash, owner,
//! ACL), computed with its own queries and sha256 in Rust — never reported by
//! the kernel.

use super::ddl;
use crate::case::CaseError;
use crate::clock;
use crate::pg::{answer, quote_ident, Answer, PgResultExt};
use crate::sandbox::{CaseDb, Sandbox};
use pgconform_generators::evidence::{
    FnSpec, GrantSpec, Grantee, Grantor, Owner, Privilege, RoleSpec, TableSpec,
};
use pgconform_generators::ident::truncate_bytes;
use postgres::Client;
use std::collections::{BTreeMap, BTreeSet};

/// The instant every case's test clock starts at.
pub const CLOCK_START: &str = "2031-03-04 05:06:07+00";

/// The search_path under which the kernel renders "live definitions" (see
/// kernel/sql/310_evidence_seal.sql); the harness renders under the same one.
pub const DEFINITION_SEARCH_PATH: &str = "pg_catalog, pg_temp";

use pgconform_oracle::sha256_hex;

/// One aclitem, by role names (`grantee` None = PUBLIC).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct AclItem {
    /// Grantor role.
    pub grantor: String,
    /// Grantee role, None for PUBLIC.
    pub grantee: Option<String>,
    /// Privilege type, e.g. `EXECUTE`.
    pub privilege: String,
    /// WITH GRANT OPTION.
    pub grantable: bool,
}

/// What "exactly as it was" compares: definition hash (routines), owner, and
/// the effective aclitem set (`coalesce(acl, acldefault(..))`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjState {
    /// sha256 of the UTF-8 live definition (routines only).
    pub definition_sha256: Option<String>,
    /// Owner role.
    pub owner: String,
    /// Effective ACL.
    pub acl: BTreeSet<AclItem>,
}

/// A created function.
#[derive(Debug, Clone)]
pub struct FnObj {
    /// Its oid.
    pub oid: u32,
    /// Its qualified regprocedure text (rendered under pg_catalog).
    pub ident: String,
    /// Its name.
    pub name: String,
    /// Its spec.
    pub spec: FnSpec,
    /// A call rendering all result rows as text.
    pub call: String,
    /// The call's result once the case is built, if the call worked.
    pub precall: Option<String>,
}

/// A created table or view.
#[derive(Debug, Clone)]
pub struct RelObj {
    /// Its oid.
    pub oid: u32,
    /// Its qualified regclass text.
    pub ident: String,
}

/// Drops the case's roles when the case ends (before its database goes).
struct RoleGuard {
    config: postgres::Config,
    names: Vec<String>,
}

impl Drop for RoleGuard {
    fn drop(&mut self) {
        if self.names.is_empty() {
            return;
        }
        if let Ok(mut c) = self.config.connect(postgres::NoTls) {
            let list = self
                .names
                .iter()
                .map(|n| quote_ident(n))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = c.batch_execute(&format!("DROP OWNED BY {list} CASCADE"));
            for n in &self.names {
                let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(n)));
            }
        }
    }
}

/// A case database with its schema and roles.
pub struct Fixture {
    // Field order matters: roles are dropped while the database still exists.
    roles: RoleGuard,
    /// The case database (superuser session).
    pub db: CaseDb,
    /// The case schema's name.
    pub schema: String,
    /// The session's (superuser) role name.
    pub superuser: String,
    /// Functions created so far.
    pub fns: Vec<FnObj>,
    /// Tables created so far.
    pub rels: Vec<RelObj>,
}

impl Fixture {
    /// A fresh database with the clock frozen at [`CLOCK_START`], the schema
    /// (USAGE granted to PUBLIC so grantors can name objects), its domain, and
    /// the case roles (uniquely named with a random suffix, memberships acyclic).
    pub fn new(sandbox: &dyn Sandbox, schema: &str, roles: &[RoleSpec]) -> Result<Self, CaseError> {
        let db = sandbox.fresh_db().map_err(CaseError::env)?;
        let config = db.config().clone();
        let mut fx = Fixture {
            roles: RoleGuard {
                config,
                names: Vec::new(),
            },
            db,
            schema: schema.to_owned(),
            superuser: String::new(),
            fns: Vec::new(),
            rels: Vec::new(),
        };
        fx.superuser = fx
            .db
            .query_one("SELECT current_user::text", &[])
            .env()?
            .get(0);
        clock::freeze(&mut fx.db, CLOCK_START)?;
        let s = quote_ident(schema);
        fx.db
            .batch_execute(&format!(
                "CREATE SCHEMA {s}; GRANT USAGE ON SCHEMA {s} TO PUBLIC; CREATE DOMAIN {s}.{} AS integer",
                quote_ident(ddl::DOMAIN_NAME)
            ))
            .env()?;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        for (i, r) in roles.iter().enumerate() {
            let base = format!("pgc_ev_{}_{i}", &suffix[..10]);
            let name = match &r.tail {
                Some(t) => format!("{base}{}", truncate_bytes(t, 63 - base.len())),
                None => base,
            };
            fx.db
                .batch_execute(&format!(
                    "CREATE ROLE {} {}",
                    quote_ident(&name),
                    if r.login { "LOGIN" } else { "NOLOGIN" }
                ))
                .env()?;
            fx.roles.names.push(name);
        }
        for (i, r) in roles.iter().enumerate() {
            for m in &r.member_of {
                let j = usize::from(*m) % roles.len();
                if j < i {
                    fx.db
                        .batch_execute(&format!(
                            "GRANT {} TO {}",
                            quote_ident(&fx.roles.names[j]),
                            quote_ident(&fx.roles.names[i])
                        ))
                        .env()?;
                }
            }
        }
        Ok(fx)
    }

    /// The case roles' names.
    pub fn role_names(&self) -> &[String] {
        &self.roles.names
    }

    /// Role `i % n` (or the superuser when the case has no roles).
    pub fn role(&self, i: u8) -> String {
        if self.roles.names.is_empty() {
            self.superuser.clone()
        } else {
            self.roles.names[usize::from(i) % self.roles.names.len()].clone()
        }
    }

    /// The role an [`Owner`] names.
    pub fn owner_name(&self, o: Owner) -> String {
        match o {
            Owner::Superuser => self.superuser.clone(),
            Owner::Role(i) => self.role(i),
        }
    }

    /// Create a function (as superuser), give it its owner, and record it.
    pub fn create_function(&mut self, name: &str, spec: &FnSpec) -> Result<usize, CaseError> {
        let sql = ddl::create_function(spec, &self.schema, name, "");
        self.db.batch_execute(&sql).map_err(|e| {
            let why = e
                .as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_owned());
            CaseError::env(format!("generated function does not compile: {why}\n{sql}"))
        })?;
        let sig = ddl::signature(spec, &self.schema, name);
        let oid: u32 = self
            .db
            .query_one("SELECT to_regprocedure($1)::oid", &[&sig])
            .env()?
            .try_get(0)
            .map_err(|e| CaseError::env(format!("cannot resolve {sig}: {e}")))?;
        let owner = self.owner_name(spec.owner);
        self.db
            .batch_execute(&format!(
                "ALTER FUNCTION {sig} OWNER TO {}",
                quote_ident(&owner)
            ))
            .env()?;
        let ident = self.routine_ident(oid)?;
        let call = ddl::call(spec, &self.schema, name);
        self.fns.push(FnObj {
            oid,
            ident,
            name: name.to_owned(),
            spec: spec.clone(),
            call,
            precall: None,
        });
        Ok(self.fns.len() - 1)
    }

    /// Call every function once, now that all overloads exist (a call that
    /// is ambiguous or raises records no result and is not checked later).
    pub fn precall_all(&mut self) -> Result<(), CaseError> {
        for i in 0..self.fns.len() {
            let call = self.fns[i].call.clone();
            self.fns[i].precall = match answer(self.db.query_one(call.as_str(), &[]))? {
                Answer::Ok(row) => row.try_get::<_, Option<String>>(0).ok().flatten(),
                Answer::Err { .. } => None,
            };
        }
        Ok(())
    }

    /// Re-create function `i` with its body changed (its signature, owner and
    /// ACL stay). Used to make a sealed definition stale.
    pub fn alter_body(&mut self, i: usize, note: &str) -> Result<(), CaseError> {
        let f = &self.fns[i];
        let sql = ddl::create_function(&f.spec, &self.schema, &f.name, note);
        self.db.batch_execute(&sql).env()
    }

    /// Create a table (or a view) and give it its owner.
    pub fn create_table(&mut self, t: &TableSpec) -> Result<usize, CaseError> {
        let q = format!("{}.{}", quote_ident(&self.schema), quote_ident(&t.name));
        let (create, alter) = if t.view {
            (format!("CREATE VIEW {q} AS SELECT 1 AS id"), "VIEW")
        } else {
            (
                format!("CREATE TABLE {q} (id integer PRIMARY KEY, note text)"),
                "TABLE",
            )
        };
        self.db.batch_execute(&create).env()?;
        let owner = self.owner_name(t.owner);
        self.db
            .batch_execute(&format!(
                "ALTER {alter} {q} OWNER TO {}",
                quote_ident(&owner)
            ))
            .env()?;
        let oid: u32 = self
            .db
            .query_one("SELECT to_regclass($1)::oid", &[&q])
            .env()?
            .get(0);
        let ident = self.in_catalog_path("SELECT $1::oid::regclass::text", oid)?;
        self.rels.push(RelObj { oid, ident });
        Ok(self.rels.len() - 1)
    }

    fn in_catalog_path(&mut self, sql: &str, oid: u32) -> Result<String, CaseError> {
        let mut tx = self.db.transaction().env()?;
        tx.batch_execute(&format!("SET LOCAL search_path = {DEFINITION_SEARCH_PATH}"))
            .env()?;
        let s: String = tx.query_one(sql, &[&oid]).env()?.get(0);
        tx.commit().env()?;
        Ok(s)
    }

    /// The qualified regprocedure text of a routine.
    pub fn routine_ident(&mut self, oid: u32) -> Result<String, CaseError> {
        self.in_catalog_path("SELECT $1::oid::regprocedure::text", oid)
    }

    /// The live definition text of a routine, rendered by the harness under
    /// [`DEFINITION_SEARCH_PATH`].
    pub fn live_def(&mut self, oid: u32) -> Result<String, CaseError> {
        self.in_catalog_path("SELECT pg_catalog.pg_get_functiondef($1::oid)", oid)
    }

    /// Apply generated grants to the objects `targets` (a function oid or a
    /// relation oid each). Grants by a role run under `SET ROLE`; a grant the
    /// role may not issue is simply not made (PostgreSQL warns or refuses).
    pub fn apply_grants(
        &mut self,
        grants: &[GrantSpec],
        targets: &[(bool, u32)],
    ) -> Result<Vec<String>, CaseError> {
        let mut applied = Vec::new();
        if targets.is_empty() {
            return Ok(applied);
        }
        for g in grants {
            let (is_fn, oid) = targets[usize::from(g.object) % targets.len()];
            let (on, privilege) = if is_fn {
                (
                    format!("FUNCTION {}", self.routine_ident(oid)?),
                    Privilege::Execute,
                )
            } else {
                (
                    format!(
                        "TABLE {}",
                        self.in_catalog_path("SELECT $1::oid::regclass::text", oid)?
                    ),
                    if g.privilege == Privilege::Execute {
                        Privilege::Select
                    } else {
                        g.privilege
                    },
                )
            };
            let to = match g.to {
                Grantee::Public => "PUBLIC".to_owned(),
                Grantee::Role(i) => quote_ident(&self.role(i)),
            };
            let wgo = if g.grant_option && g.to != Grantee::Public {
                " WITH GRANT OPTION"
            } else {
                ""
            };
            let sql = format!("GRANT {} ON {on} TO {to}{wgo}", privilege.sql());
            let res = match g.by {
                Grantor::Owner => answer(self.db.batch_execute(&sql))?,
                Grantor::Role(i) => {
                    let r = self.role(i);
                    self.db
                        .batch_execute(&format!("SET ROLE {}", quote_ident(&r)))
                        .env()?;
                    let res = answer(self.db.batch_execute(&sql));
                    self.db.batch_execute("RESET ROLE").env()?;
                    res?
                }
            };
            match res {
                Answer::Ok(()) => applied.push(privilege.name()),
                // the grantor may not issue it (42501), or it would go back to
                // its own grantor (0LP01): PostgreSQL refuses and makes nothing
                Answer::Err { sqlstate, .. } if sqlstate == "42501" || sqlstate == "0LP01" => {}
                Answer::Err { sqlstate, message } => {
                    return Err(CaseError::env(format!("{sql}: {sqlstate} {message}")))
                }
            }
        }
        Ok(applied)
    }

    /// Harness-computed state of every created function.
    pub fn fn_states(&mut self) -> Result<BTreeMap<u32, ObjState>, CaseError> {
        let oids: Vec<u32> = self.fns.iter().map(|f| f.oid).collect();
        routine_states(&mut self.db, &oids)
    }

    /// Harness-computed state of every created function and relation.
    pub fn all_states(&mut self) -> Result<BTreeMap<u32, ObjState>, CaseError> {
        let mut m = self.fn_states()?;
        let oids: Vec<u32> = self.rels.iter().map(|r| r.oid).collect();
        m.extend(relation_states(&mut self.db, &oids)?);
        Ok(m)
    }
}

/// The objects of a catalog whose effective ACL [`acl_items`] reads.
struct AclCatalog {
    /// `pg_proc` or `pg_class`.
    table: &'static str,
    /// Its ACL column.
    acl: &'static str,
    /// Its owner column.
    owner: &'static str,
    /// The object type for `acldefault`.
    kind: &'static str,
}

/// Routines, for [`acl_items`].
const ROUTINES: AclCatalog = AclCatalog {
    table: "pg_proc",
    acl: "proacl",
    owner: "proowner",
    kind: "f",
};

/// Relations, for [`acl_items`].
const RELATIONS: AclCatalog = AclCatalog {
    table: "pg_class",
    acl: "relacl",
    owner: "relowner",
    kind: "r",
};

/// The effective ACL items (the default ACL where none is set) of the
/// objects `oids` of `catalog`, by object.
fn acl_items<C: postgres::GenericClient>(
    client: &mut C,
    catalog: &AclCatalog,
    oids: &[u32],
) -> Result<BTreeMap<u32, BTreeSet<AclItem>>, CaseError> {
    let AclCatalog {
        table,
        acl,
        owner,
        kind,
    } = catalog;
    let sql = format!(
        "SELECT o.oid, g.rolname::text, CASE WHEN a.grantee = 0 THEN NULL ELSE e.rolname::text END, \
                a.privilege_type, a.is_grantable \
           FROM {table} o \
           CROSS JOIN LATERAL aclexplode(coalesce(o.{acl}, acldefault('{kind}', o.{owner}))) a \
           JOIN pg_roles g ON g.oid = a.grantor \
           LEFT JOIN pg_roles e ON e.oid = a.grantee \
          WHERE o.oid = ANY($1)"
    );
    let mut m: BTreeMap<u32, BTreeSet<AclItem>> = BTreeMap::new();
    for row in client.query(&sql, &[&oids.to_vec()]).env()? {
        m.entry(row.get(0)).or_default().insert(AclItem {
            grantor: row.get(1),
            grantee: row.get(2),
            privilege: row.get(3),
            grantable: row.get(4),
        });
    }
    Ok(m)
}

/// Definition hash, owner and effective ACL of routines, by the harness.
pub fn routine_states(
    client: &mut Client,
    oids: &[u32],
) -> Result<BTreeMap<u32, ObjState>, CaseError> {
    let mut tx = client.transaction().env()?;
    tx.batch_execute(&format!("SET LOCAL search_path = {DEFINITION_SEARCH_PATH}"))
        .env()?;
    let rows = tx
        .query(
            "SELECT p.oid, pg_get_functiondef(p.oid), r.rolname::text \
               FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE p.oid = ANY($1)",
            &[&oids.to_vec()],
        )
        .env()?;
    let mut acl = acl_items(&mut tx, &ROUTINES, oids)?;
    tx.commit().env()?;
    let mut m = BTreeMap::new();
    for row in rows {
        let oid: u32 = row.get(0);
        let def: String = row.get(1);
        m.insert(
            oid,
            ObjState {
                definition_sha256: Some(sha256_hex(def.as_bytes())),
                owner: row.get(2),
                acl: acl.remove(&oid).unwrap_or_default(),
            },
        );
    }
    Ok(m)
}

/// Owner and effective ACL of relations, by the harness.
pub fn relation_states(
    client: &mut Client,
    oids: &[u32],
) -> Result<BTreeMap<u32, ObjState>, CaseError> {
    let rows = client
        .query(
            "SELECT c.oid, r.rolname::text FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner \
              WHERE c.oid = ANY($1)",
            &[&oids.to_vec()],
        )
        .env()?;
    let mut acl = acl_items(client, &RELATIONS, oids)?;
    let mut m = BTreeMap::new();
    for row in rows {
        let oid: u32 = row.get(0);
        m.insert(
            oid,
            ObjState {
                definition_sha256: None,
                owner: row.get(1),
                acl: acl.remove(&oid).unwrap_or_default(),
            },
        );
    }
    Ok(m)
}

/// A readable diff of two state maps (only the objects that differ).
pub fn diff_states(
    before: &BTreeMap<u32, ObjState>,
    after: &BTreeMap<u32, ObjState>,
    names: &dyn Fn(u32) -> String,
) -> Option<(String, String)> {
    let mut exp = String::new();
    let mut act = String::new();
    let keys: BTreeSet<u32> = before.keys().chain(after.keys()).copied().collect();
    for k in keys {
        let (b, a) = (before.get(&k), after.get(&k));
        if b != a {
            exp.push_str(&format!("{}: {b:#?}\n", names(k)));
            act.push_str(&format!("{}: {a:#?}\n", names(k)));
        }
    }
    if exp.is_empty() {
        None
    } else {
        Some((exp, act))
    }
}
