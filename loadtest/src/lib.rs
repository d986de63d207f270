//! sealbid's load test: the bid-opening burst (DESIGN.md, promise 3). It talks to a cluster
//! only through the API's typed client, as bidders, offices and committee members do.
//!
//! Data flow: [`scenario`] registers the actors on the [`platform`], publishes T tenders across
//! the markets, runs each tender's key generation and seals and signs every bid before the run;
//! [`schedule`] gives each bid its send time (an open-model ramp towards the deadline, fixed by
//! a seed); [`driver`] sends each at its time through a bounded number of connections, retrying
//! the same signed bytes on another node when one does not answer; [`record`] turns the answers
//! into latency histograms measured from the intended send time and a per-second timeline;
//! after the deadline [`scenario::finish`] closes, releases shares and opens every tender, and
//! awards those without candidate publicity; [`verify`] checks every receipt against the final signed checkpoint and every
//! accepted bid against its tender's opening; [`report`] and [`charts`] write the summary, the
//! table and SVG charts, and the thresholds decide the exit code. [`cluster`] starts a
//! three-node cluster on loopback (and kills its leader when asked); [`etcd`] replays the same
//! schedule against three etcd members as a baseline. [`flood`] times a normal client's
//! requests while one address holds many stalled and idle connections.

pub mod burst;
pub mod charts;
pub mod cluster;
pub mod driver;
pub mod etcd;
pub mod flood;
pub mod platform;
pub mod random;
pub mod record;
pub mod report;
pub mod scenario;
pub mod schedule;
pub mod verify;
