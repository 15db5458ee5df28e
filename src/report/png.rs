//! PNG copies of the SVG charts, rasterised by resvg from the very same SVG text.
//!
//! Labels use the system's fonts (fontdb scans them once per report). Without any font the
//! PNG still shows the axes and lines, only the text is missing; the SVG is unaffected.
use anyhow::{Context, Result};
use resvg::{tiny_skia, usvg};

pub struct Rasteriser {
    opt: usvg::Options<'static>,
}

impl Rasteriser {
    pub fn new() -> Rasteriser {
        let mut opt = usvg::Options::default();
        opt.fontdb_mut().load_system_fonts();
        Rasteriser { opt }
    }

    /// Whether any font was found (without one, PNG labels are missing).
    pub fn has_fonts(&self) -> bool {
        !self.opt.fontdb.is_empty()
    }

    /// Renders `svg` at its own size (scaled by `zoom`) to PNG bytes.
    pub fn png(&self, svg: &str, zoom: f32) -> Result<Vec<u8>> {
        let tree = usvg::Tree::from_str(svg, &self.opt).context("parsing the chart SVG")?;
        let size = tree
            .size()
            .to_int_size()
            .scale_by(zoom)
            .context("empty chart")?;
        let mut pix =
            tiny_skia::Pixmap::new(size.width(), size.height()).context("chart too large")?;
        resvg::render(
            &tree,
            tiny_skia::Transform::from_scale(zoom, zoom),
            &mut pix.as_mut(),
        );
        pix.encode_png().context("encoding PNG")
    }
}

impl Default for Rasteriser {
    fn default() -> Self {
        Self::new()
    }
}
