//! Line charts as standalone SVG, written by hand (no plotting crate): axes, ticks, legend.
//!
//! Text uses `DejaVu Sans, sans-serif` so the PNG renderer finds a font on Debian
//! (fonts-dejavu-core) and browsers fall back to any sans-serif.
use super::charts::Unit;
use std::fmt::Write;

pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 340;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 48.0;
/// Colour-blind-safe palette (Okabe–Ito), then greys.
const COLOURS: [&str; 10] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#777777", "#BBBBBB",
];

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

/// Renders the chart; the caller guarantees at least one series with points.
pub fn render(c: &Chart) -> String {
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let (pw, ph) = (w - LEFT - RIGHT, h - TOP - BOTTOM);
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
    let xstep = nice_step(xmax_u, 6.0);
    let sx = |x: f64| LEFT + x / xdiv / xmax_u * pw;
    let sy = |y: f64| TOP + ph - (y / div / ytop * ph);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{}</text>
"##,
        esc(&c.title)
    );
    let mut k = 0.0;
    while k <= ytop + ystep * 1e-9 {
        let y = TOP + ph - k / ytop * ph;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
            num(k)
        );
        k += ystep;
    }
    let mut k = 0.0;
    while k <= xmax_u + xstep * 1e-9 {
        let x = LEFT + k / xmax_u * pw;
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#444444"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + ph,
            TOP + ph + 5.0,
            TOP + ph + 19.0,
            num(k)
        );
        k += xstep;
    }
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw:.1}" height="{ph:.1}" fill="none" stroke="#444444"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">time since the training window started ({xunit})</text>
<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"##,
        LEFT + pw / 2.0,
        h - 10.0,
        TOP + ph / 2.0,
        esc(&ylabel)
    );
    for (i, ser) in c.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let pts: Vec<String> = ser
            .points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
            .collect();
        if pts.len() == 1 {
            let _ = writeln!(
                s,
                r#"<circle cx="{}" r="3" fill="{colour}"/>"#,
                pts[0].replace(',', "\" cy=\"")
            );
        } else {
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
                pts.join(" ")
            );
        }
        let ly = TOP + 8.0 + 18.0 * i as f64;
        let lx = LEFT + pw + 12.0;
        let mut label = ser.label.clone();
        if label.chars().count() > 27 {
            label = label.chars().take(26).collect::<String>() + "…";
        }
        let _ = writeln!(
            s,
            r#"<rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            ly - 10.0,
            lx + 17.0,
            ly,
            esc(&label)
        );
    }
    s.push_str("</svg>\n");
    s
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
