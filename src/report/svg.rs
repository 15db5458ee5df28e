//! Line charts as standalone SVG, drawn with plotters' SVG backend: axes, ticks, legend.
//!
//! Text uses `DejaVu Sans, sans-serif` so the PNG renderer finds a font on Debian
//! (fonts-dejavu-core) and browsers fall back to any sans-serif.
use super::charts::Unit;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 340;
const LEFT: u32 = 78;
const RIGHT: u32 = 200;
const TOP: u32 = 40;
const BOTTOM: u32 = 48;
const FONT: &str = "DejaVu Sans, sans-serif";
/// Colour-blind-safe palette (Okabe–Ito), then greys.
const COLOURS: [RGBColor; 10] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xF0, 0xE4, 0x42),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x77, 0x77, 0x77),
    RGBColor(0xBB, 0xBB, 0xBB),
];
const GRID: RGBColor = RGBColor(0xe0, 0xe0, 0xe0);
const FRAME: RGBColor = RGBColor(0x44, 0x44, 0x44);

/// One chart line: a label and (seconds since the run's start, value) points.
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

pub struct Chart<'a> {
    pub title: String,
    pub unit: Unit,
    pub series: &'a [Series],
    /// Shared axis maxima, so side-by-side charts of two runs are comparable.
    pub x_max: f64,
    pub y_max: f64,
}

/// Escapes text for XML content and attributes.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `n` ticks up to `max`.
pub fn nice_step(max: f64, n: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / n;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Divisor and axis label for a unit at this magnitude (bytes scale to KiB/MiB/GiB).
fn axis_unit(unit: Unit, y_max: f64) -> (f64, String) {
    let bytes = |suffix: &str| {
        let (d, p) = [
            (1.0, ""),
            (1024.0, "Ki"),
            (1048576.0, "Mi"),
            (1073741824.0, "Gi"),
        ]
        .into_iter()
        .rev()
        .find(|(d, _)| y_max >= *d * 2.0)
        .unwrap_or((1.0, ""));
        (d, format!("{p}B{suffix}"))
    };
    match unit {
        Unit::Percent => (1.0, "% busy".into()),
        Unit::Cores => (1.0, "cores".into()),
        Unit::Bytes => bytes(""),
        Unit::BytesPerSec => bytes("/s"),
    }
}

fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A text style of `px` pixels (plotters writes `font-size` as the size / 1.24).
fn font(px: f64) -> TextStyle<'static> {
    styled(px, FontStyle::Normal)
}

fn styled(px: f64, style: FontStyle) -> TextStyle<'static> {
    (FONT, px * 1.24, style).into_font().color(&BLACK)
}

/// Renders the chart; the caller guarantees at least one series with points.
pub fn render(c: &Chart) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        // Drawing into a String fails only on a font error, and the SVG backend measures
        // text with plotters' built-in estimate, which cannot fail.
        draw(&root, c).expect("plotters draws into a string");
        root.present().expect("plotters draws into a string");
    }
    svg
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Failed<'a> = DrawingAreaErrorKind<<SVGBackend<'a> as DrawingBackend>::ErrorType>;

fn draw<'a>(root: &Area<'a>, c: &Chart) -> Result<(), Failed<'a>> {
    let (div, ylabel) = axis_unit(c.unit, c.y_max);
    let ymax_u = (c.y_max / div).max(f64::MIN_POSITIVE);
    let ystep = nice_step(ymax_u, 5.0);
    // Headroom, so a line at the maximum does not hide in the frame.
    let ytop = if c.unit == Unit::Percent && ymax_u <= 100.0 {
        100.0
    } else {
        (ymax_u * 1.04 / ystep).ceil().max(1.0) * ystep
    };
    let (xdiv, xunit) = if c.x_max > 1200.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    };
    let xmax_u = (c.x_max / xdiv).max(1.0);
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        c.title.clone(),
        (LEFT as i32, 9),
        styled(15.0, FontStyle::Bold).pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    let (plot, legend) = root.split_horizontally(WIDTH - RIGHT);
    let mut chart = ChartBuilder::on(&plot)
        .margin_top(TOP)
        .x_label_area_size(BOTTOM)
        .y_label_area_size(LEFT)
        .build_cartesian_2d(0f64..xmax_u, 0f64..ytop)?;
    let fmt = |v: &f64| num(*v);
    let xdesc = format!("time since the training window started ({xunit})");
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels((xmax_u / nice_step(xmax_u, 6.0)) as usize + 1)
        .y_labels((ytop / ystep) as usize + 1)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(FRAME)
        .label_style(font(12.0))
        .axis_desc_style(font(12.0))
        .x_desc(xdesc)
        .y_desc(ylabel)
        .draw()?;
    chart.plotting_area().draw(&Rectangle::new(
        [(0.0, 0.0), (xmax_u, ytop)],
        FRAME.stroke_width(1),
    ))?;
    for (i, ser) in c.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let pts = ser.points.iter().map(|(x, y)| (x / xdiv, y / div));
        if ser.points.len() == 1 {
            chart.draw_series(pts.map(|p| Circle::new(p, 3, colour.filled())))?;
        } else {
            chart.draw_series(LineSeries::new(pts, colour.stroke_width(2)))?;
        }
        let y = TOP as i32 - 2 + 18 * i as i32;
        legend.draw(&Rectangle::new([(12, y), (24, y + 12)], colour.filled()))?;
        let mut label = ser.label.clone();
        if label.chars().count() > 27 {
            label = label.chars().take(26).collect::<String>() + "…";
        }
        legend.draw(&Text::new(
            label,
            (29, y + 6),
            font(12.0).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_escaping() {
        assert_eq!(nice_step(100.0, 5.0), 20.0);
        assert_eq!(nice_step(7.0, 5.0), 2.0);
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        let series = [Series {
            label: "<pod>".into(),
            points: vec![(0.0, 1.0), (10.0, 3.0)],
        }];
        let svg = render(&Chart {
            title: "t".into(),
            unit: Unit::Cores,
            series: &series,
            x_max: 10.0,
            y_max: 3.0,
        });
        assert!(svg.contains("&lt;pod&gt;") && svg.contains("<polyline"));
    }
}
