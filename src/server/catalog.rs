//! The macro behind the fault and variant catalogs: an enum whose every member carries a
//! kebab-case name, a one-line description and its hook (a unit struct of the same name in a
//! module of its own), with `all()`, `name()`, `description()`, `hook()` and `FromStr`.

/// Defines a catalog enum and declares one module per member. Each entry:
/// `Member => module, "name", "description"`, where `module.rs` (beside the invoking file)
/// defines `struct Member` implementing `Hook`.
macro_rules! catalog {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $module:ident, $text:literal, $desc:literal ),+ $(,)? }
    ) => {
        $( mod $module; )+

        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        impl $name {
            const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// Every member, in catalog order.
            pub fn all() -> &'static [$name] {
                Self::ALL
            }

            /// The public name (`--fault NAME`, `--variant NAME`).
            pub fn name(self) -> &'static str {
                match self { $( $name::$variant => $text ),+ }
            }

            /// One line: what the server does differently.
            pub fn description(self) -> &'static str {
                match self { $( $name::$variant => $desc ),+ }
            }

            /// What the member changes, at the server's hook points.
            pub(crate) fn hook(self) -> &'static dyn $crate::server::hooks::Hook {
                match self { $( $name::$variant => &$module::$variant ),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|x| x.name() == s).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|x| x.name()).collect();
                    format!("unknown {} `{s}` (known: {})", stringify!($name).to_lowercase(), names.join(", "))
                })
            }
        }
    };
}

pub(crate) use catalog;
