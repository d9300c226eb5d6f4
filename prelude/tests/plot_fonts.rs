//! Figures render their text from the bundled font: with fontconfig pointed at an empty
//! configuration (no system fonts found), a figure's PNG is byte-for-byte the same and its
//! titles are drawn.

use ferrokeras::plot::Figure;
use std::path::Path;
use std::process::Command;

const CHILD: &str = "FERROKERAS_PLOT_FONT_CHILD_OUT";

fn figure() -> Figure {
    let mut fig = Figure::new(400, 300);
    fig.ax(0).plot([0.9, 0.6, 0.4, 0.3]).label("Träning");
    fig.ax(0)
        .title("Förlust (Loss)")
        .title_color("green")
        .xlabel("Epoch")
        .legend();
    fig
}

/// Runs only as the child process of the test below, in the font-less environment.
#[test]
fn child_renders_in_font_less_environment() {
    let Some(out) = std::env::var_os(CHILD) else {
        return;
    };
    std::fs::write(out, figure().to_png().unwrap()).unwrap();
}

fn font_less_env(cmd: &mut Command, dir: &Path) {
    let conf = dir.join("fonts.conf");
    std::fs::write(
        &conf,
        "<?xml version=\"1.0\"?>\n<fontconfig></fontconfig>\n",
    )
    .unwrap();
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    cmd.env("FONTCONFIG_FILE", &conf)
        .env("FONTCONFIG_PATH", &empty)
        .env("HOME", &empty)
        .env("XDG_DATA_HOME", &empty)
        .env("XDG_DATA_DIRS", &empty)
        .env("XDG_CONFIG_HOME", &empty)
        .env("XDG_CACHE_HOME", &empty);
}

#[test]
fn titles_render_identically_with_no_fonts_configured() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("child.png");
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_renders_in_font_less_environment",
        "--test-threads=1",
    ])
    .env(CHILD, &out);
    font_less_env(&mut cmd, dir.path());
    let status = cmd.status().unwrap();
    assert!(status.success(), "child failed: {status}");

    // Where fontconfig's tools exist, show that this environment really finds no fonts.
    let mut fc = Command::new("fc-list");
    font_less_env(&mut fc, dir.path());
    if let Ok(listed) = fc.output() {
        assert!(
            String::from_utf8_lossy(&listed.stdout).trim().is_empty(),
            "fc-list still finds fonts"
        );
    }

    let child_png = std::fs::read(&out).unwrap();
    let here_png = figure().to_png().unwrap();
    assert_eq!(child_png, here_png, "the PNG differs without system fonts");

    // The title is drawn: green pixels in the band above the plot.
    let img = image::load_from_memory(&child_png).unwrap().to_rgb8();
    let green = (0..300)
        .flat_map(|x| (0..24).map(move |y| (x, y)))
        .filter(|&(x, y)| {
            let p = img.get_pixel(x, y).0;
            p[1] > 90 && p[0] < 70 && p[2] < 70
        })
        .count();
    assert!(green > 40, "title pixels: {green}");
}
