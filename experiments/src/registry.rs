//! Names to policy factories: how a scenario file, a sweep or a builder
//! names a scheduler, a congestion control or a path manager.
//!
//! A [`Registry`] maps each name to a parameter type `C` (serde, with
//! defaults) and a function from `C` to the policy's factory
//! (`models::policy`). The built-in policies register themselves in
//! [`Registry::builtin`] exactly as a user's crate registers its own:
//!
//! ```
//! use std::sync::Arc;
//! use experiments::registry::Registry;
//! use models::policy::SchedulerFactory;
//! use models::scheduler::{MinRtt, Scheduler};
//!
//! /// A scheduler with one parameter (here it simply runs min-RTT).
//! #[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct Mine { patience: u32 }
//!
//! impl SchedulerFactory for Mine {
//!     fn build(&self) -> Box<dyn Scheduler> { Box::new(MinRtt::new()) }
//! }
//!
//! let mut reg = Registry::builtin();
//! reg.add_scheduler::<Mine>("mine", "my scheduler", |c| Ok(Arc::new(c)));
//! let spec = reg.scheduler_spec("mine(patience: 3)").unwrap();
//! assert_eq!(spec.to_string(), "mine(patience: 3)");
//! ```
//!
//! In a scenario a policy is written as its name, bare (`min_rtt`, every
//! parameter at its default) or with parameters (`blest(lambda: 12.0)`,
//! `fullmesh(address_event_delay: "0ms")`); parameters left out keep
//! their defaults. An unknown name, an unknown parameter or a value of the
//! wrong type is a located error that lists what exists. A parsed policy
//! is written back (`scenario.ron`) with every parameter, so the file says
//! exactly what ran.
//!
//! Parsing needs to know the registry: [`Registry::scope`] makes one the
//! registry of the calling thread for the duration of a closure;
//! [`crate::scenario::Scenario::parse_with`] and
//! [`crate::sweep::Sweep::parse_with`] do that. Outside any scope the
//! built-in registry is used.

#![warn(missing_docs)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

use models::cc::{BaliaConfig, CubicConfig, LiaConfig, OliaConfig, RenoConfig};
use models::path_manager::{
    FullMeshConfig, InKernelConfig, IosConfig, IosFactory, IosNoneConfig, LinuxDefaultConfig, ServiceType,
};
use models::policy::{CcFactory, PathManagerFactory, SchedulerFactory};
use models::scheduler::{BlestConfig, BurstConfig, EcfConfig, MinRttConfig, RedundantConfig, RoundRobinConfig};
use ron::value::RawValue;
use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeStructVariant;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One kind of policy: what its factory is and where the registry keeps it.
pub trait PolicyKind: 'static {
    /// The factory trait object (`dyn SchedulerFactory`, ...).
    type Factory: ?Sized + fmt::Debug + Send + Sync;
    /// What the kind is called in messages (`scheduler`).
    const WHAT: &'static str;
    #[doc(hidden)]
    fn table(reg: &Registry) -> &Table<Self::Factory>;
    #[doc(hidden)]
    fn table_mut(reg: &mut Registry) -> &mut Table<Self::Factory>;
}

/// The scheduler kind of policy.
#[derive(Debug)]
pub enum SchedulerPolicy {}
/// The congestion-control kind of policy.
#[derive(Debug)]
pub enum CcPolicy {}
/// The path-manager kind of policy.
#[derive(Debug)]
pub enum PathManagerPolicy {}

impl PolicyKind for SchedulerPolicy {
    type Factory = dyn SchedulerFactory;
    const WHAT: &'static str = "scheduler";
    fn table(reg: &Registry) -> &Table<Self::Factory> {
        &reg.schedulers
    }
    fn table_mut(reg: &mut Registry) -> &mut Table<Self::Factory> {
        &mut reg.schedulers
    }
}
impl PolicyKind for CcPolicy {
    type Factory = dyn CcFactory;
    const WHAT: &'static str = "congestion control";
    fn table(reg: &Registry) -> &Table<Self::Factory> {
        &reg.ccs
    }
    fn table_mut(reg: &mut Registry) -> &mut Table<Self::Factory> {
        &mut reg.ccs
    }
}
impl PolicyKind for PathManagerPolicy {
    type Factory = dyn PathManagerFactory;
    const WHAT: &'static str = "path manager";
    fn table(reg: &Registry) -> &Table<Self::Factory> {
        &reg.path_managers
    }
    fn table_mut(reg: &mut Registry) -> &mut Table<Self::Factory> {
        &mut reg.path_managers
    }
}

/// A policy as a scenario names it: its registered name, every parameter
/// (defaults filled in) as RON text, and the factory built from them.
pub struct Policy<K: PolicyKind> {
    name: &'static str,
    params: AllParams,
    factory: Arc<K::Factory>,
    /// A path manager that the server runs too when the client does (see
    /// [`Registry::mirror_on_server`]).
    mirror_on_server: bool,
    kind: PhantomData<K>,
}

/// A scheduler as a scenario names it.
pub type SchedulerSpec = Policy<SchedulerPolicy>;
/// A congestion control as a scenario names it.
pub type CcSpec = Policy<CcPolicy>;
/// A path manager as a scenario names it.
pub type PathManagerSpec = Policy<PathManagerPolicy>;

impl<K: PolicyKind> Policy<K> {
    /// The registered name (`blest`).
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// Every parameter with its value as RON text, in declaration order.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.params.iter().map(|(k, v)| (*k, v.get_ron()))
    }
    /// The factory the parameters built.
    pub fn factory(&self) -> &Arc<K::Factory> {
        &self.factory
    }
    /// Whether the server runs this path manager too, with the same
    /// parameters, when the client runs it (otherwise Linux's `default`).
    pub fn mirrors_on_server(&self) -> bool {
        self.mirror_on_server
    }
}

impl<K: PolicyKind> Clone for Policy<K> {
    fn clone(&self) -> Self {
        Policy {
            name: self.name,
            params: self.params.clone(),
            factory: self.factory.clone(),
            mirror_on_server: self.mirror_on_server,
            kind: PhantomData,
        }
    }
}

impl<K: PolicyKind> PartialEq for Policy<K> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.params().eq(other.params())
    }
}

impl<K: PolicyKind> fmt::Debug for Policy<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// RON text: `min_rtt`, `blest(lambda: 12.0, ...)`.
impl<K: PolicyKind> fmt::Display for Policy<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        if !self.params.is_empty() {
            f.write_str("(")?;
            for (i, (k, v)) in self.params.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{k}: {}", v.get_ron())?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl<K: PolicyKind> Serialize for Policy<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.params.is_empty() {
            return s.serialize_unit_variant("Policy", 0, self.name);
        }
        let mut sv = s.serialize_struct_variant("Policy", 0, self.name, self.params.len())?;
        for (k, v) in &self.params {
            sv.serialize_field(k, v)?;
        }
        sv.end()
    }
}

impl<'de, K: PolicyKind> Deserialize<'de> for Policy<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_enum("Policy", &[], PolicyVisitor::<K>(PhantomData))
    }
}

struct PolicyVisitor<K>(PhantomData<K>);

impl<'de, K: PolicyKind> Visitor<'de> for PolicyVisitor<K> {
    type Value = Policy<K>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} name, bare or with parameters", K::WHAT)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        use de::VariantAccess;
        let (Ident(name), variant): (Ident, A::Variant) = data.variant()?;
        let entry = with_current(|reg| K::table(reg).get(&name)).ok_or_else(|| {
            let names: Vec<String> = with_current(|reg| K::table(reg).names())
                .iter()
                .map(|n| format!("`{n}`"))
                .collect();
            de::Error::custom(format!(
                "`{name}` is not a registered {}; expected one of {}",
                K::WHAT,
                names.join(", ")
            ))
        })?;
        // `name` alone is the policy with its defaults: RON's struct variant
        // access then fails before reading anything (no `(` follows), which
        // the visitor tells apart from an error inside the parentheses.
        let opened = std::cell::Cell::new(false);
        let check = |k: &str, v: &RawValue| {
            (entry.check)(&[(k.to_string(), v.to_owned())]).map_err(|e| format!("{} `{}`: {e}", K::WHAT, entry.name))
        };
        let visitor = ParamsVisitor {
            opened: &opened,
            check: &check,
        };
        let params = match variant.struct_variant(&[], visitor) {
            Ok(p) => Some(p),
            Err(_) if !opened.get() => None,
            Err(e) => return Err(e),
        };
        (entry.parse)(params.as_deref())
            .map(|(factory, params)| Policy {
                name: entry.name,
                params,
                factory,
                mirror_on_server: entry.mirror_on_server,
                kind: PhantomData,
            })
            .map_err(|e| de::Error::custom(format!("{} `{}`: {e}", K::WHAT, entry.name)))
    }
}

/// A policy's name: an identifier.
struct Ident(String);

impl<'de> Deserialize<'de> for Ident {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Ident;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a policy name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ident, E> {
                Ok(Ident(v.to_string()))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// The `(key: value, ...)` of a policy, each value kept as RON text and
/// checked alone as it is read, so that an unknown parameter or a value of
/// the wrong type is reported where it is written.
struct ParamsVisitor<'a> {
    opened: &'a std::cell::Cell<bool>,
    check: &'a dyn Fn(&str, &RawValue) -> Result<(), String>,
}

impl<'de> Visitor<'de> for ParamsVisitor<'_> {
    type Value = Vec<(String, Box<RawValue>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("parameters `(name: value, ...)`")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        self.opened.set(true);
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(CheckedValue {
                key: &k,
                check: self.check,
            })?;
            out.push((k, v));
        }
        Ok(out)
    }
}

/// Parameters as written in a scenario (name, RON text).
type GivenParams = [(String, Box<RawValue>)];
/// Every parameter of a policy (name, RON text), in declaration order.
type AllParams = Vec<(&'static str, Box<RawValue>)>;

/// One parameter's value, read as RON text and checked before the parser
/// moves on (so that an error points at the value).
struct CheckedValue<'a> {
    key: &'a str,
    check: &'a dyn Fn(&str, &RawValue) -> Result<(), String>,
}

impl<'de> de::DeserializeSeed<'de> for CheckedValue<'_> {
    type Value = Box<RawValue>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Box<RawValue>, D::Error> {
        let v = Box::<RawValue>::deserialize(d)?.trim_boxed();
        (self.check)(self.key, &v).map_err(de::Error::custom)?;
        Ok(v)
    }
}

type CheckFn = dyn Fn(&GivenParams) -> Result<(), String> + Send + Sync;

type ParseFn<F> = dyn Fn(Option<&GivenParams>) -> Result<(Arc<F>, AllParams), String> + Send + Sync;

/// One registered policy.
pub struct Entry<F: ?Sized> {
    name: &'static str,
    doc: &'static str,
    parse: Arc<ParseFn<F>>,
    /// Type-checks some parameters alone (names and value types; the
    /// checks that relate parameters run in `parse`, on all of them).
    check: Arc<CheckFn>,
    mirror_on_server: bool,
}

impl<F: ?Sized> Clone for Entry<F> {
    fn clone(&self) -> Self {
        Entry {
            name: self.name,
            doc: self.doc,
            parse: self.parse.clone(),
            check: self.check.clone(),
            mirror_on_server: self.mirror_on_server,
        }
    }
}

/// The registered policies of one kind, by name (and alias).
pub struct Table<F: ?Sized> {
    by_name: BTreeMap<&'static str, Entry<F>>,
    aliases: BTreeMap<&'static str, &'static str>,
}

impl<F: ?Sized> Clone for Table<F> {
    fn clone(&self) -> Self {
        Table {
            by_name: self.by_name.clone(),
            aliases: self.aliases.clone(),
        }
    }
}

impl<F: ?Sized> Default for Table<F> {
    fn default() -> Self {
        Table {
            by_name: BTreeMap::new(),
            aliases: BTreeMap::new(),
        }
    }
}

impl<F: ?Sized> Table<F> {
    fn get(&self, name: &str) -> Option<Entry<F>> {
        let name = self.aliases.get(name).copied().unwrap_or(name);
        self.by_name.get(name).cloned()
    }
    fn names(&self) -> Vec<&'static str> {
        self.by_name.keys().copied().collect()
    }
}

/// Names to factories for the three kinds of policy. Cheap to clone.
#[derive(Clone, Default)]
pub struct Registry {
    schedulers: Table<dyn SchedulerFactory>,
    ccs: Table<dyn CcFactory>,
    path_managers: Table<dyn PathManagerFactory>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("schedulers", &self.schedulers.names())
            .field("ccs", &self.ccs.names())
            .field("path_managers", &self.path_managers.names())
            .finish()
    }
}

/// Interned parameter names: serde wants `&'static str` field names, and
/// the set of names a process ever sees is small.
fn intern(s: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<std::collections::BTreeSet<&'static str>>> = OnceLock::new();
    let mut set = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = set.get(s) {
        return n;
    }
    let n: &'static str = Box::leak(s.to_string().into_boxed_str());
    set.insert(n);
    n
}

/// The fields of a serialized parameter struct, each as RON text.
struct Fields(Vec<(&'static str, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a parameter struct")
            }
            fn visit_unit<E>(self) -> Result<Fields, E> {
                Ok(Fields(Vec::new()))
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Fields, M::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v: Box<RawValue> = map.next_value()?;
                    out.push((intern(&k), v.trim_boxed()));
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parameters as a typed `C`: defaults when absent, else parsed from the
/// RON text of the given ones. Returns `C` and all its fields as RON text.
fn parse_params<C>(given: Option<&GivenParams>) -> Result<(C, AllParams), String>
where
    C: Serialize + DeserializeOwned + Default,
{
    let c: C = match given {
        None => C::default(),
        Some(fields) => {
            let mut text = String::from("(");
            for (k, v) in fields {
                text.push_str(k);
                text.push_str(": ");
                text.push_str(v.get_ron());
                text.push_str(", ");
            }
            text.push(')');
            let found = match fields {
                [(_, v)] => format!("`{}`", v.get_ron()),
                _ => "the parameters".to_string(),
            };
            ron::Options::default()
                .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
                .from_str(&text)
                .map_err(|e| crate::scenario::describe(&e.code, &found, false))?
        }
    };
    let text = ron::to_string(&c).map_err(|e| e.to_string())?;
    let fields: Fields = ron::from_str(&text).map_err(|e| e.to_string())?;
    Ok((c, fields.0))
}

impl Registry {
    /// A registry with nothing in it.
    pub fn empty() -> Registry {
        Registry::default()
    }

    /// The built-in policies, under their scenario names:
    /// - schedulers `burst` (upstream Linux's default), `min_rtt` (alias
    ///   `default`, the out-of-tree Linux name), `round_robin`,
    ///   `redundant`, `blest`, `ecf`;
    /// - congestion controls `reno`, `cubic`, `lia`, `olia`, `balia`;
    /// - path managers `default`, `fullmesh` (alias `full_mesh`),
    ///   `ndiffports`, `in_kernel` (alias `kernel`), and the
    ///   iOS service types `none`, `handover`, `interactive`, `aggregate`.
    pub fn builtin() -> Registry {
        let mut r = Registry::empty();
        r.add_scheduler::<MinRttConfig>("min_rtt", "lowest RTT first (Linux `default`)", |c| Ok(Arc::new(c)));
        r.alias::<SchedulerPolicy>("default", "min_rtt");
        r.add_scheduler::<BurstConfig>(
            "burst",
            "upstream Linux's default: lowest linger time, 64 KiB bursts (net/mptcp/protocol.c)",
            |c| Ok(Arc::new(c)),
        );
        r.add_scheduler::<RoundRobinConfig>("round_robin", "round-robin (Linux `roundrobin`)", |c| Ok(Arc::new(c)));
        r.add_scheduler::<RedundantConfig>("redundant", "every segment on every subflow (Linux `redundant`)", |c| {
            Ok(Arc::new(c))
        });
        r.add_scheduler::<BlestConfig>("blest", "blocking estimation (Linux `blest`)", |c| {
            c.validate()?;
            Ok(Arc::new(c))
        });
        r.add_scheduler::<EcfConfig>("ecf", "earliest completion first (Linux `ecf`)", |c| Ok(Arc::new(c)));
        r.add_cc::<RenoConfig>("reno", "NewReno (RFC 5681, 6582)", |c| Ok(Arc::new(c)));
        r.add_cc::<CubicConfig>("cubic", "CUBIC (RFC 9438, Linux tcp_cubic.c)", |c| Ok(Arc::new(c)));
        r.add_cc::<LiaConfig>("lia", "coupled LIA (RFC 6356)", |c| Ok(Arc::new(c)));
        r.add_cc::<OliaConfig>("olia", "coupled OLIA (Khalili et al.)", |c| Ok(Arc::new(c)));
        r.add_cc::<BaliaConfig>("balia", "coupled BALIA (Peng et al.)", |c| Ok(Arc::new(c)));
        r.add_path_manager::<LinuxDefaultConfig>("default", "Linux: no extra subflows, accepts joins", |c| {
            Ok(Arc::new(c))
        });
        r.add_path_manager::<FullMeshConfig>(
            "fullmesh",
            "Linux fullmesh: a subflow per local interface and remote address",
            |c| Ok(Arc::new(c)),
        );
        r.alias::<PathManagerPolicy>("full_mesh", "fullmesh");
        r.add_path_manager::<models::path_manager::ndiffports::NDiffPortsConfig>(
            "ndiffports",
            "Linux ndiffports: num_subflows subflows over one address pair, from different ports (for ECMP)",
            |c| match c.problem() {
                Some(p) => Err(p),
                None => Ok(Arc::new(c)),
            },
        );
        r.mirror_on_server("fullmesh");
        r.add_path_manager::<InKernelConfig>(
            "in_kernel",
            "upstream Linux in-kernel path manager: endpoints and limits (net/mptcp/pm_kernel.c)",
            |c| {
                c.validate()?;
                Ok(Arc::new(c))
            },
        );
        r.alias::<PathManagerPolicy>("kernel", "in_kernel");
        r.mirror_on_server("in_kernel");
        r.add_path_manager::<IosNoneConfig>("none", "iOS .none: plain TCP on one interface", |c| Ok(Arc::new(c)));
        for (name, service, doc) in [
            ("handover", ServiceType::Handover, "iOS .handover"),
            ("interactive", ServiceType::Interactive, "iOS .interactive"),
            ("aggregate", ServiceType::Aggregate, "iOS .aggregate"),
        ] {
            r.add_path_manager::<IosConfig>(name, doc, move |config| Ok(Arc::new(IosFactory { service, config })));
        }
        r
    }

    fn add<K: PolicyKind, C>(
        &mut self,
        name: &'static str,
        doc: &'static str,
        make: impl Fn(C) -> Result<Arc<K::Factory>, String> + Send + Sync + 'static,
    ) where
        C: Serialize + DeserializeOwned + Default + 'static,
    {
        let parse = move |given: Option<&GivenParams>| {
            let (c, fields) = parse_params::<C>(given)?;
            Ok((make(c)?, fields))
        };
        let t = K::table_mut(self);
        t.aliases.remove(name);
        t.by_name.insert(
            name,
            Entry {
                name,
                doc,
                parse: Arc::new(parse),
                check: Arc::new(|given: &GivenParams| parse_params::<C>(Some(given)).map(|_| ())),
                mirror_on_server: false,
            },
        );
    }

    /// Registers a scheduler: `name` in scenarios, its parameter type `C`
    /// (its `Default` is the bare name) and how `C` becomes a factory (an
    /// `Err` is reported as a located error in the scenario). A name
    /// registered again replaces the earlier entry.
    pub fn add_scheduler<C>(
        &mut self,
        name: &'static str,
        doc: &'static str,
        make: impl Fn(C) -> Result<Arc<dyn SchedulerFactory>, String> + Send + Sync + 'static,
    ) where
        C: Serialize + DeserializeOwned + Default + 'static,
    {
        self.add::<SchedulerPolicy, C>(name, doc, make);
    }

    /// Registers a congestion control; as [`Registry::add_scheduler`].
    pub fn add_cc<C>(
        &mut self,
        name: &'static str,
        doc: &'static str,
        make: impl Fn(C) -> Result<Arc<dyn CcFactory>, String> + Send + Sync + 'static,
    ) where
        C: Serialize + DeserializeOwned + Default + 'static,
    {
        self.add::<CcPolicy, C>(name, doc, make);
    }

    /// Registers a path manager; as [`Registry::add_scheduler`].
    pub fn add_path_manager<C>(
        &mut self,
        name: &'static str,
        doc: &'static str,
        make: impl Fn(C) -> Result<Arc<dyn PathManagerFactory>, String> + Send + Sync + 'static,
    ) where
        C: Serialize + DeserializeOwned + Default + 'static,
    {
        self.add::<PathManagerPolicy, C>(name, doc, make);
    }

    /// Makes the server run the registered path manager `name` too, with
    /// the client's parameters, when a scenario gives the client that one
    /// and names no `server_path_manager` (the out-of-tree Linux kernel ran
    /// `fullmesh` on both ends). Without it the server runs `default`.
    pub fn mirror_on_server(&mut self, name: &'static str) {
        if let Some(e) = self.path_managers.by_name.get_mut(name) {
            e.mirror_on_server = true;
        }
    }

    /// Makes `alias` another spelling of the registered `name`.
    pub fn alias<K: PolicyKind>(&mut self, alias: &'static str, name: &'static str) {
        K::table_mut(self).aliases.insert(alias, name);
    }

    /// The registered names of a kind, sorted, with their one-line docs.
    pub fn list<K: PolicyKind>(&self) -> Vec<(&'static str, &'static str)> {
        K::table(self).by_name.values().map(|e| (e.name, e.doc)).collect()
    }

    /// A policy from its RON text (`"blest(lambda: 11.0)"`), checked
    /// against this registry: what a builder uses where a scenario file
    /// would name it.
    pub fn spec<K: PolicyKind>(&self, text: &str) -> Result<Policy<K>, String> {
        self.scope(|| ron::from_str::<Policy<K>>(text))
            .map_err(|e| e.to_string())
    }

    /// [`Registry::spec`] for a scheduler.
    pub fn scheduler_spec(&self, text: &str) -> Result<SchedulerSpec, String> {
        self.spec(text)
    }
    /// [`Registry::spec`] for a congestion control.
    pub fn cc_spec(&self, text: &str) -> Result<CcSpec, String> {
        self.spec(text)
    }
    /// [`Registry::spec`] for a path manager.
    pub fn path_manager_spec(&self, text: &str) -> Result<PathManagerSpec, String> {
        self.spec(text)
    }

    /// Runs `f` with this registry as the calling thread's registry: every
    /// policy that `f` deserializes is looked up here.
    pub fn scope<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Restore(Option<Registry>);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|c| *c.borrow_mut() = self.0.take());
            }
        }
        let previous = CURRENT.with(|c| c.borrow_mut().replace(self.clone()));
        let _restore = Restore(previous);
        f()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Registry>> = const { RefCell::new(None) };
}

fn builtin_registry() -> &'static Registry {
    static BUILTIN: OnceLock<Registry> = OnceLock::new();
    BUILTIN.get_or_init(Registry::builtin)
}

/// Runs `f` on the calling thread's registry (the built-in one outside any
/// [`Registry::scope`]).
fn with_current<T>(f: impl FnOnce(&Registry) -> T) -> T {
    CURRENT.with(|c| match &*c.borrow() {
        Some(r) => f(r),
        None => f(builtin_registry()),
    })
}

/// A built-in policy with its defaults, by name (panics on a name that is
/// not built in: for defaults and tests).
pub fn builtin<K: PolicyKind>(name: &str) -> Policy<K> {
    builtin_registry()
        .spec(name)
        .unwrap_or_else(|e| panic!("{name} is not a built-in {}: {e}", K::WHAT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_name_gives_the_policy_with_every_parameter_at_its_default() {
        let s: SchedulerSpec = builtin("blest");
        assert_eq!(
            s.to_string(),
            "blest(lambda: 12.0, min_lambda: 10.0, max_lambda: 13.0, dyn_lambda_good: 10, dyn_lambda_bad: 40)"
        );
        let m: SchedulerSpec = builtin("min_rtt");
        assert_eq!(m.to_string(), "min_rtt");
    }

    #[test]
    fn parameters_given_replace_their_defaults_and_the_others_stay() {
        let r = Registry::builtin();
        let s = r.scheduler_spec("blest(lambda: 11)").unwrap();
        assert_eq!(s.params().next(), Some(("lambda", "11.0")));
        let p = r.path_manager_spec("fullmesh(join_delay: \"0ms\")").unwrap();
        assert!(p.to_string().contains("address_event_delay: \"0ns\""), "{p}");
        assert!(p.to_string().contains("create_on_err: true"), "{p}");
    }

    #[test]
    fn an_alias_names_the_same_policy_under_its_registered_name() {
        let r = Registry::builtin();
        assert_eq!(r.scheduler_spec("default").unwrap().name(), "min_rtt");
        assert_eq!(r.path_manager_spec("full_mesh").unwrap().name(), "fullmesh");
    }

    #[test]
    fn an_unknown_name_lists_the_registered_ones() {
        let e = Registry::builtin().scheduler_spec("largest_room").unwrap_err();
        assert!(e.contains("`largest_room` is not a registered scheduler"), "{e}");
        assert!(
            e.contains("`blest`, `burst`, `ecf`, `min_rtt`, `redundant`, `round_robin`"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_parameter_or_a_bad_value_is_an_error_naming_the_policy() {
        let r = Registry::builtin();
        let e = r.scheduler_spec("blest(lamda: 1.0)").unwrap_err();
        assert!(e.contains("scheduler `blest`") && e.contains("lamda"), "{e}");
        let e = r.scheduler_spec("blest(lambda: \"x\")").unwrap_err();
        assert!(e.contains("scheduler `blest`"), "{e}");
        let e = r.scheduler_spec("blest(lambda: 20.0)").unwrap_err();
        assert!(e.contains("min_lambda <= lambda <= max_lambda"), "{e}");
    }

    #[test]
    fn parameters_that_are_only_valid_together_are_accepted_together() {
        // lambda 14 is above the default max_lambda 13: valid only with the
        // max_lambda given beside it (each value alone is type-checked only).
        let r = Registry::builtin();
        let s = r.scheduler_spec("blest(lambda: 14.0, max_lambda: 15.0)").unwrap();
        assert_eq!(s.params().next(), Some(("lambda", "14.0")));
    }

    #[test]
    fn a_policy_written_out_reads_back_equal() {
        let r = Registry::builtin();
        for text in [
            "blest(lambda: 11.5)",
            "handover(app: third_party, zero_window_before_rst: false)",
            "round_robin(num_segments: 3)",
            "cubic",
        ] {
            let a = r.spec::<SchedulerPolicy>(text).map(|p| p.to_string());
            let a = a.or_else(|_| r.spec::<PathManagerPolicy>(text).map(|p| p.to_string()));
            let a = a.or_else(|_| r.spec::<CcPolicy>(text).map(|p| p.to_string())).unwrap();
            let b = r
                .spec::<SchedulerPolicy>(&a)
                .map(|p| p.to_string())
                .or_else(|_| r.spec::<PathManagerPolicy>(&a).map(|p| p.to_string()))
                .or_else(|_| r.spec::<CcPolicy>(&a).map(|p| p.to_string()))
                .unwrap();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn a_scoped_registry_knows_a_users_policy_and_the_thread_forgets_it_after() {
        let mut r = Registry::builtin();
        r.add_scheduler::<MinRttConfig>("mine", "test", |c| Ok(Arc::new(c)));
        assert!(r.scope(|| ron::from_str::<SchedulerSpec>("mine")).is_ok());
        assert!(ron::from_str::<SchedulerSpec>("mine").is_err());
    }
}
