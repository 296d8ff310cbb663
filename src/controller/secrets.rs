//! The credentials Secrets' finalizer: a credentials Secret that NodePools with
//! `deletionPolicy: Delete` still need is kept until they are gone.
//!
//! Without it, deleting a namespace (or `kubectl delete -f` of a directory) deletes the Secret
//! together with the NodePools, the NodePools can no longer delete their cloud pools, and the
//! namespace hangs in `Terminating` with pools left running at the cloud. With it, the Secret
//! carries [`SECRET_FINALIZER`] while such NodePools exist; the NodePools delete their pools,
//! are released, and the Secret goes last.
//!
//! The [`SecretKeeper`] keeps an index of which Secrets each NodePool needs (from the NodePool
//! watch, through [`credentials::credential_secrets`]), and a worker compares, for each Secret
//! touched by a change, "needed by some NodePool" with "carries the finalizer" and patches the
//! difference — adding it when needed, removing it when not (also when the Secret is not being
//! deleted: no stale finalizers). Each change is said in an Event on the Secret. Only the
//! leader writes; a periodic sweep catches up after a change of leader or a failed write.
//! Nothing is decided before every NodePool and Secret watch has listed once: a Secret is never
//! released because it or its NodePools were not listed yet.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::{ObjectReference, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams};
use kube::core::PartialObjectMeta;
use kube::runtime::events::{Event, EventType};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use serde_json::json;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::cache::{CachedNodePool, key};
use super::context::{Context, Stores, meta_ref};
use crate::crd::{DeletionPolicy, NodePool};
use crate::credentials::{self, SECRET_FINALIZER};

/// What one NodePool needs: its credentials Secrets, and whether it keeps them (Delete policy).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Needs {
    secrets: Vec<ObjectRef<Secret>>,
    keeps: bool,
}

fn needs_of(np: &CachedNodePool) -> Needs {
    match np.expand() {
        Ok(np) => needs(&np),
        // A spec this build cannot read: keep whatever it may name, by the light parse.
        Err(_) => Needs {
            secrets: np
                .credentials_name()
                .map(|n| {
                    vec![ObjectRef::new(&n).within(np.metadata.namespace.as_deref().unwrap_or(""))]
                })
                .unwrap_or_default(),
            keeps: true,
        },
    }
}

/// The Secrets a NodePool needs, and whether it keeps them until it is gone.
fn needs(np: &NodePool) -> Needs {
    Needs {
        secrets: credentials::credential_secrets(np),
        keeps: np.spec.deletion_policy == DeletionPolicy::Delete,
    }
}

/// The index of which NodePool needs which Secret, and the queue of Secrets to check.
pub struct SecretKeeper {
    index: Mutex<HashMap<ObjectRef<NodePool>, Needs>>,
    /// Watches (NodePools and Secrets) that have not listed once yet.
    unlisted: AtomicUsize,
    tx: mpsc::UnboundedSender<ObjectRef<Secret>>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<ObjectRef<Secret>>>>,
    /// The NodePools each Secret was last said to be kept for (one Event per change).
    noted: Mutex<HashMap<ObjectRef<Secret>, Vec<String>>>,
}

impl SecretKeeper {
    /// A keeper fed by `watches` watches (NodePools and Secrets; see [`SecretKeeper::listed`]).
    pub fn new(watches: usize) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        SecretKeeper {
            index: Mutex::new(HashMap::new()),
            unlisted: AtomicUsize::new(watches),
            tx,
            rx: Mutex::new(Some(rx)),
            noted: Mutex::new(HashMap::new()),
        }
    }

    fn enqueue(&self, secrets: impl IntoIterator<Item = ObjectRef<Secret>>) {
        for s in secrets {
            let _ = self.tx.send(s);
        }
    }

    /// Follows a NodePool watch event (after the reflector applied it to `stores`).
    pub fn nodepool_event(
        &self,
        event: &watcher::Event<CachedNodePool>,
        stores: &Stores<CachedNodePool>,
    ) {
        match event {
            watcher::Event::Apply(np) => {
                let new = needs_of(np);
                let old = self
                    .index
                    .lock()
                    .expect("keeper index lock")
                    .insert(key(&np.metadata), new.clone());
                if old.as_ref() != Some(&new) {
                    self.enqueue(old.into_iter().flat_map(|o| o.secrets).chain(new.secrets));
                }
            }
            watcher::Event::Delete(np) => {
                let old = self
                    .index
                    .lock()
                    .expect("keeper index lock")
                    .remove(&key(&np.metadata));
                self.enqueue(old.into_iter().flat_map(|o| o.secrets));
            }
            // A (re)list: the store now holds exactly what was listed; the index is rebuilt
            // from all stores and every Secret of the old and new index is checked.
            watcher::Event::InitDone => {
                let fresh: HashMap<_, _> = stores
                    .state()
                    .iter()
                    .map(|np| (key(&np.metadata), needs_of(np)))
                    .collect();
                let touched: HashSet<ObjectRef<Secret>> = {
                    let mut index = self.index.lock().expect("keeper index lock");
                    let old = std::mem::replace(&mut *index, fresh);
                    old.into_values()
                        .chain(index.values().cloned())
                        .flat_map(|n| n.secrets)
                        .collect()
                };
                self.enqueue(touched);
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    /// Records that one watch has listed for the first time. Nothing is decided before all
    /// have: a Secret not yet listed would look like no credentials Secret, and lose its
    /// finalizer.
    pub fn listed(&self) {
        let _ = self
            .unlisted
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }

    /// Follows a credentials Secret watch event (after the reflector applied it to `stores`).
    pub fn secret_event(
        &self,
        event: &watcher::Event<PartialObjectMeta<Secret>>,
        stores: &Stores<PartialObjectMeta<Secret>>,
    ) {
        match event {
            watcher::Event::Apply(s) | watcher::Event::Delete(s) => {
                self.enqueue([secret_ref(&s.metadata)])
            }
            // A (re)list: the store holds the listed Secrets only now (not at each InitApply).
            watcher::Event::InitDone => {
                let mut all: HashSet<ObjectRef<Secret>> = stores
                    .state()
                    .iter()
                    .map(|s| secret_ref(&s.metadata))
                    .collect();
                all.extend(
                    self.index
                        .lock()
                        .expect("keeper index lock")
                        .values()
                        .flat_map(|n| n.secrets.clone()),
                );
                self.enqueue(all);
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }

    /// The NodePools that name `secret` (whatever their deletion policy).
    pub fn users(&self, secret: &ObjectRef<Secret>) -> Vec<ObjectRef<NodePool>> {
        self.index
            .lock()
            .expect("keeper index lock")
            .iter()
            .filter(|(_, n)| n.secrets.contains(secret))
            .map(|(np, _)| np.clone())
            .collect()
    }

    /// The names of the NodePools that keep `secret`, sorted.
    fn keepers(&self, secret: &ObjectRef<Secret>) -> Vec<String> {
        let set: BTreeSet<String> = self
            .index
            .lock()
            .expect("keeper index lock")
            .iter()
            .filter(|(_, n)| n.keeps && n.secrets.contains(secret))
            .map(|(np, _)| np.name.clone())
            .collect();
        set.into_iter().collect()
    }

    /// Runs the worker until the process ends: checks each queued Secret, and every `sweep`
    /// all Secrets the index names or the Secret stores show with the finalizer.
    pub async fn run(self: std::sync::Arc<Self>, ctx: std::sync::Arc<Context>, sweep: Duration) {
        let Some(mut rx) = self.rx.lock().expect("keeper queue lock").take() else {
            return;
        };
        let mut tick = tokio::time::interval(sweep);
        tick.tick().await;
        let mut swept = false;
        loop {
            let first = tokio::select! {
                r = rx.recv() => match r { Some(r) => vec![r], None => return },
                _ = tick.tick() => self.everything(&ctx),
            };
            // Coalesce what is queued already: each Secret once per round.
            let mut batch: HashSet<ObjectRef<Secret>> = first.into_iter().collect();
            while let Ok(r) = rx.try_recv() {
                batch.insert(r);
            }
            if self.unlisted.load(Ordering::SeqCst) > 0 || !ctx.leader.is_leader() {
                // Not yet (the sweep after the lists or the Lease comes back to it).
                continue;
            }
            if !swept {
                // The first round after every watch listed: finalizers left from before (a
                // NodePool deleted while no controller ran) are found at once.
                swept = true;
                batch.extend(self.everything(&ctx));
            }
            for r in batch {
                if let Err(e) = self.check(&ctx, &r).await {
                    warn!(secret = %r, error = %e, "could not update the credentials Secret's finalizer; retrying");
                    let tx = self.tx.clone();
                    let delay = ctx.config.backoff_base.max(Duration::from_millis(500));
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let _ = tx.send(r);
                    });
                }
            }
        }
    }

    fn everything(&self, ctx: &Context) -> Vec<ObjectRef<Secret>> {
        let mut all: HashSet<ObjectRef<Secret>> = self
            .index
            .lock()
            .expect("keeper index lock")
            .values()
            .flat_map(|n| n.secrets.clone())
            .collect();
        all.extend(
            ctx.secrets
                .state()
                .iter()
                .filter(|s| has_finalizer(&s.metadata))
                .map(|s| secret_ref(&s.metadata)),
        );
        all.into_iter().collect()
    }

    /// Brings one Secret's finalizer in line with the index.
    async fn check(&self, ctx: &Context, r: &ObjectRef<Secret>) -> Result<(), kube::Error> {
        let ns = r.namespace.clone().unwrap_or_default();
        let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
        // The watch's store holds exactly the credentials Secrets (labelled, Opaque).
        let (mut meta, credentials) = match ctx.secrets.get(&meta_ref(r)) {
            Some(m) => (m.metadata.clone(), true),
            // Not a credentials Secret: it may have lost the label while carrying the
            // finalizer; a metadata-only read tells. Such a Secret is never kept.
            None => match api.get_metadata_opt(&r.name).await? {
                Some(m) => (m.metadata, false),
                None => return Ok(()),
            },
        };
        for _ in 0..3 {
            let keepers = self.keepers(r);
            let want = credentials && credentials::is_labelled(&meta) && !keepers.is_empty();
            let has = has_finalizer(&meta);
            if want == has {
                if want {
                    self.note_kept(ctx, &meta, &keepers).await;
                }
                return Ok(());
            }
            let mut finalizers: Vec<String> = meta
                .finalizers
                .clone()
                .unwrap_or_default()
                .into_iter()
                .filter(|f| f != SECRET_FINALIZER)
                .collect();
            if want {
                finalizers.push(SECRET_FINALIZER.to_string());
            }
            if ctx.fence().is_err() {
                return Ok(());
            }
            // The resourceVersion makes the patch conditional: finalizers others added or
            // removed meanwhile are never overwritten (409 Conflict, read again, retry).
            let patch = json!({"metadata": {
                "resourceVersion": meta.resource_version,
                "finalizers": finalizers,
            }});
            match api
                .patch_metadata(&r.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(written) => {
                    if want {
                        self.note_kept(ctx, &written.metadata, &keepers).await;
                    } else {
                        self.noted.lock().expect("noted lock").remove(r);
                        publish(
                            ctx,
                            &written.metadata,
                            "CredentialsReleased",
                            "released: no NodePool with deletionPolicy: Delete uses this Secret anymore".into(),
                        )
                        .await;
                    }
                    return Ok(());
                }
                Err(kube::Error::Api(s)) if s.code == 404 => return Ok(()),
                Err(kube::Error::Api(s)) if s.code == 409 => {
                    match api.get_metadata_opt(&r.name).await? {
                        Some(m) => meta = m.metadata,
                        None => return Ok(()),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        // Three conflicts in a row: the retry comes back to it.
        let tx = self.tx.clone();
        let _ = tx.send(r.clone());
        Ok(())
    }

    /// An Event naming the NodePools the Secret is kept for, when that set changed.
    async fn note_kept(&self, ctx: &Context, meta: &ObjectMeta, keepers: &[String]) {
        let r = secret_ref(meta);
        {
            let mut noted = self.noted.lock().expect("noted lock");
            if noted.get(&r).map(Vec::as_slice) == Some(keepers) {
                return;
            }
            noted.insert(r, keepers.to_vec());
        }
        publish(
            ctx,
            meta,
            "CredentialsInUse",
            format!(
                "kept for NodePools {} (deletionPolicy: Delete) until they and their cloud pools are deleted",
                list(keepers)
            ),
        )
        .await;
    }
}

/// At most 10 names, then how many more.
fn list(names: &[String]) -> String {
    let mut text = names
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 10 {
        text.push_str(&format!(" and {} more", names.len() - 10));
    }
    text
}

fn has_finalizer(meta: &ObjectMeta) -> bool {
    meta.finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| f == SECRET_FINALIZER))
}

fn secret_ref(meta: &ObjectMeta) -> ObjectRef<Secret> {
    ObjectRef::new(meta.name.as_deref().unwrap_or_default())
        .within(meta.namespace.as_deref().unwrap_or_default())
}

/// An Event on a Secret. The note names NodePools, never a value of the Secret.
async fn publish(ctx: &Context, meta: &ObjectMeta, reason: &str, note: String) {
    let reference = ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Secret".into()),
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        uid: meta.uid.clone(),
        ..ObjectReference::default()
    };
    let ev = Event {
        type_: EventType::Normal,
        reason: reason.to_string(),
        note: Some(note),
        action: "KeepCredentials".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&ev, &reference).await {
        super::context::event_failed(&e);
    }
    debug!(secret = ?meta.name, reason, "credentials Secret finalizer");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn np(name: &str, secret: &str, policy: &str) -> CachedNodePool {
        let np: NodePool = serde_json::from_value(json!({
            "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
            "metadata": {"name": name, "namespace": "team-a"},
            "spec": {"credentialsRef": {"name": secret}, "deletionPolicy": policy,
                     "alibaba": {"regionId": "cn-hangzhou", "clusterId": "c1"}}
        }))
        .expect("a NodePool");
        CachedNodePool::new(&np)
    }

    fn drain(k: &SecretKeeper) -> BTreeSet<String> {
        let mut rx = k.rx.lock().unwrap();
        let rx = rx.as_mut().unwrap();
        let mut out = BTreeSet::new();
        while let Ok(r) = rx.try_recv() {
            out.insert(r.name);
        }
        out
    }

    #[test]
    fn the_index_follows_nodepools_and_queues_the_secrets_they_change() {
        let k = SecretKeeper::new(1);
        let stores = Stores(Vec::new());
        let s = |n: &str| ObjectRef::<Secret>::new(n).within("team-a");
        k.nodepool_event(&watcher::Event::Apply(np("a", "hw", "Delete")), &stores);
        k.nodepool_event(&watcher::Event::Apply(np("b", "hw", "Delete")), &stores);
        k.nodepool_event(&watcher::Event::Apply(np("c", "hw", "Orphan")), &stores);
        assert_eq!(drain(&k), BTreeSet::from(["hw".to_string()]));
        assert_eq!(k.keepers(&s("hw")), vec!["a".to_string(), "b".to_string()]);
        assert_eq!(k.users(&s("hw")).len(), 3);

        // The same NodePool again (a status write): nothing to check.
        k.nodepool_event(&watcher::Event::Apply(np("a", "hw", "Delete")), &stores);
        assert!(drain(&k).is_empty());

        // Another Secret: both the old and the new one are checked.
        k.nodepool_event(&watcher::Event::Apply(np("a", "ali", "Delete")), &stores);
        assert_eq!(
            drain(&k),
            BTreeSet::from(["hw".to_string(), "ali".to_string()])
        );
        assert_eq!(k.keepers(&s("hw")), vec!["b".to_string()]);

        // Deletion of the last keeper.
        k.nodepool_event(&watcher::Event::Delete(np("b", "hw", "Delete")), &stores);
        assert_eq!(drain(&k), BTreeSet::from(["hw".to_string()]));
        assert!(k.keepers(&s("hw")).is_empty());
        assert_eq!(k.unlisted.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn long_lists_are_cut() {
        let names: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
        assert_eq!(list(&names[..2]), "p0, p1");
        assert!(list(&names).ends_with("p9 and 2 more"));
    }
}
