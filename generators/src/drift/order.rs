//! Creation orders that respect dependencies (for DRIFT-ORDER).

use super::model::*;
use super::render::*;
use std::collections::BTreeSet;

enum Node<'a> {
    Function(&'a str),
    Table(&'a Table),
    Object(&'a Table, &'a Object),
}

/// The statements building `schema`, in a creation order chosen by
/// `priorities` among those that respect dependencies (an object after its
/// table; a foreign key after the referenced primary key; a trigger after its
/// function). Empty `priorities` gives the canonical order. Node `i` gets
/// priority `priorities[i % len]`; ready nodes are taken lowest priority first,
/// ties by canonical position. Pure and deterministic.
pub fn creation_statements(schema: &Schema, priorities: &[u32]) -> Vec<String> {
    let mut nodes: Vec<Node<'_>> = Vec::new();
    for f in &schema.functions {
        nodes.push(Node::Function(f));
    }
    for t in &schema.tables {
        nodes.push(Node::Table(t));
    }
    // canonical: primary keys first, then everything else
    for pass in 0..2 {
        for t in &schema.tables {
            for o in &t.objects {
                let pk = matches!(o.kind, ObjectKind::PrimaryKey { .. });
                if (pass == 0) == pk {
                    nodes.push(Node::Object(t, o));
                }
            }
        }
    }
    let prio = |i: usize| {
        if priorities.is_empty() {
            0
        } else {
            priorities[i % priorities.len()]
        }
    };
    let deps = |n: &Node<'_>| -> Vec<String> {
        match n {
            Node::Function(_) | Node::Table(_) => Vec::new(),
            Node::Object(t, o) => {
                let mut d = vec![format!("T:{}", t.name)];
                match &o.kind {
                    ObjectKind::ForeignKey { ref_table, .. } => {
                        d.push(format!("T:{ref_table}"));
                        d.push(format!("PK:{ref_table}"));
                    }
                    ObjectKind::Trigger { function, .. } => d.push(format!("F:{function}")),
                    _ => {}
                }
                d
            }
        }
    };
    let provides = |n: &Node<'_>| -> Option<String> {
        match n {
            Node::Function(f) => Some(format!("F:{f}")),
            Node::Table(t) => Some(format!("T:{}", t.name)),
            Node::Object(t, o) if matches!(o.kind, ObjectKind::PrimaryKey { .. }) => {
                Some(format!("PK:{}", t.name))
            }
            Node::Object(..) => None,
        }
    };
    let mut out = vec![create_schema_sql(schema)];
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut taken = vec![false; nodes.len()];
    for _ in 0..nodes.len() {
        let next = (0..nodes.len())
            .filter(|&i| !taken[i] && deps(&nodes[i]).iter().all(|d| done.contains(d)))
            .min_by_key(|&i| (prio(i), i));
        let Some(i) = next else { break };
        taken[i] = true;
        if let Some(p) = provides(&nodes[i]) {
            done.insert(p);
        }
        match &nodes[i] {
            Node::Function(f) => out.push(create_function_sql(schema, f)),
            Node::Table(t) => out.push(create_table_sql(schema, t)),
            Node::Object(t, o) => out.extend(object_ddl(schema, t, o)),
        }
    }
    out
}
