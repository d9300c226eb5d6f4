//! The kernelspec's logos (`logo-32x32.png`, `logo-64x64.png`, the tile JupyterLab's launcher
//! shows), drawn here when the kernelspec is installed, so no image is downloaded or kept
//! in git: a rust-coloured gear with a white "R".

/// Rust's orange-brown, and white.
const RUST: [u8; 3] = [0xb7, 0x41, 0x0e];
const WHITE: [u8; 3] = [0xff, 0xff, 0xff];

/// The letter R, 5×7, one row per byte (bit 4 is the left column).
const LETTER_R: [u8; 7] = [
    0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001,
];

/// The logo as a `size`×`size` RGBA PNG file.
pub fn logo_png(size: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut rgba = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            rgba.extend_from_slice(&pixel(x, y, size));
        }
    }
    let mut file = Vec::new();
    let mut encoder = png::Encoder::new(&mut file, size, size);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgba)?;
    writer.finish()?;
    Ok(file)
}

/// One pixel, averaged over 4×4 samples so the edges are smooth at 32 pixels.
fn pixel(x: u32, y: u32, size: u32) -> [u8; 4] {
    const N: u32 = 4;
    let (mut sum, mut cover) = ([0u32; 3], 0u32);
    for sy in 0..N {
        for sx in 0..N {
            let u = (x as f64 + (sx as f64 + 0.5) / N as f64) / size as f64;
            let v = (y as f64 + (sy as f64 + 0.5) / N as f64) / size as f64;
            if let Some(c) = colour_at(u, v) {
                cover += 1;
                for i in 0..3 {
                    sum[i] += c[i] as u32;
                }
            }
        }
    }
    if cover == 0 {
        return [0, 0, 0, 0];
    }
    let c = |i: usize| (sum[i] / cover) as u8;
    [c(0), c(1), c(2), (cover * 255 / (N * N)) as u8]
}

/// The colour at `(u, v)` in the unit square, `None` where the logo is transparent.
fn colour_at(u: f64, v: f64) -> Option<[u8; 3]> {
    let (dx, dy) = (u - 0.5, v - 0.5);
    let r = (dx * dx + dy * dy).sqrt();
    // Ten teeth around a disc.
    let angle = dy.atan2(dx) / std::f64::consts::TAU + 0.5;
    let tooth = (angle * 10.0).fract() < 0.5;
    let in_gear = r < 0.40 || (tooth && r < 0.49);
    if !in_gear {
        return None;
    }
    // The letter fills the middle 0.36 × 0.5 of the tile.
    let (lx, ly) = ((u - 0.32) / 0.36 * 5.0, (v - 0.25) / 0.5 * 7.0);
    let in_letter = (0.0..5.0).contains(&lx)
        && (0.0..7.0).contains(&ly)
        && LETTER_R[ly as usize] & (0b10000 >> lx as u32) != 0;
    Some(if in_letter { WHITE } else { RUST })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos_are_pngs_of_their_size_with_a_gear_and_a_letter() {
        for size in [32u32, 64] {
            let png = logo_png(size).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            assert_eq!(&png[12..16], b"IHDR");
            assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), size);
            assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), size);
        }
        assert_eq!(colour_at(0.01, 0.01), None, "corners are transparent");
        assert_eq!(colour_at(0.5, 0.2), Some(RUST), "the gear");
        assert_eq!(colour_at(0.34, 0.5), Some(WHITE), "the R's stem");
    }
}
