//! SVG charts of a run (plotters): latency per second (median and 99th percentile, from the
//! intended send time) and throughput per second (offered and accepted), with the etcd
//! baseline beside sealbid when it ran.

use std::path::Path;

use plotters::prelude::*;

use crate::report::SystemRun;

/// The charts' size in pixels.
const SIZE: (u32, u32) = (960, 480);

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("chart {path}: {reason}")]
pub struct ChartError {
    /// The file.
    path: String,
    /// Why.
    reason: String,
}

/// A line: its name, colour and points.
type Line = (String, RGBColor, Vec<(f64, f64)>);

/// Writes `latency.svg` and `throughput.svg` into `folder`.
pub fn draw(folder: &Path, sealbid: &SystemRun, etcd: Option<&SystemRun>) -> Result<(), ChartError> {
    let seconds = |run: &SystemRun, value: &dyn Fn(&crate::record::Second) -> f64| -> Vec<(f64, f64)> {
        run.timeline
            .iter()
            .enumerate()
            .map(|(second, entry)| (second as f64 + 0.5, value(entry)))
            .collect()
    };
    let mut latency: Vec<Line> = vec![
        (
            "sealbid p50".into(),
            BLUE,
            seconds(sealbid, &|second| second.latency_p50_ms),
        ),
        (
            "sealbid p99".into(),
            RED,
            seconds(sealbid, &|second| second.latency_p99_ms),
        ),
    ];
    let mut throughput: Vec<Line> = vec![
        ("offered".into(), BLACK, seconds(sealbid, &|second| second.sent as f64)),
        (
            "sealbid accepted".into(),
            BLUE,
            seconds(sealbid, &|second| second.accepted as f64),
        ),
    ];
    if let Some(etcd) = etcd {
        latency.push(("etcd p99".into(), GREEN, seconds(etcd, &|second| second.latency_p99_ms)));
        throughput.push((
            "etcd accepted".into(),
            GREEN,
            seconds(etcd, &|second| second.accepted as f64),
        ));
    }
    chart(
        &folder.join("latency.svg"),
        "Latency from the intended send time",
        "ms",
        &latency,
    )?;
    chart(
        &folder.join("throughput.svg"),
        "Requests per second",
        "per second",
        &throughput,
    )
}

/// One chart of `lines` over the run's seconds.
fn chart(path: &Path, title: &str, unit: &str, lines: &[Line]) -> Result<(), ChartError> {
    let failed = |reason: String| ChartError {
        path: path.display().to_string(),
        reason,
    };
    let x_max = lines
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|point| point.0))
        .fold(1.0, f64::max);
    let y_max = lines
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|point| point.1))
        .fold(1.0, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|error| failed(error.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max + 1.0, 0.0..y_max)
        .map_err(|error| failed(error.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("seconds from the start")
        .y_desc(unit)
        .draw()
        .map_err(|error| failed(error.to_string()))?;
    for (name, colour, points) in lines {
        let colour = *colour;
        chart
            .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))
            .map_err(|error| failed(error.to_string()))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|error| failed(error.to_string()))?;
    root.present().map_err(|error| failed(error.to_string()))
}
