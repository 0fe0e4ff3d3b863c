//! Text as the merchant typed it (descriptions, policies): one normal form for storing
//! it, and one way of cutting it into paragraphs and lines for showing it, whether it came
//! from a browser's form (which sends `\r\n`), the JSON API or a CSV file.

/// The stored form: line ends as `\n` (from `\r\n` or a lone `\r`), no trailing spaces on
/// a line, at most one blank line between paragraphs, nothing blank at either end.
pub fn normalise_prose(raw: &str) -> String {
    let unified = raw.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(unified.len());
    let mut blank_run = 0;
    for line in unified.split('\n').map(str::trim_end) {
        if line.trim().is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

/// Paragraphs (separated by blank lines), each a list of its lines: what a page shows as
/// `<p>` with `<br>` between lines. Reads stored text in any of the forms above.
pub fn paragraphs(text: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.trim_end());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_pasted_and_imported_text_keep_the_same_paragraphs_and_lines() {
        let typed = "Warm and dry.\r\nFor every trail.\r\n\r\n\r\nCare: brush off mud.  \r\n";
        let imported = "Warm and dry.\nFor every trail.\n\nCare: brush off mud.";
        let old_mac = "Warm and dry.\rFor every trail.\r\rCare: brush off mud.";
        for text in [typed, imported, old_mac] {
            assert_eq!(normalise_prose(text), imported);
            assert_eq!(
                paragraphs(&normalise_prose(text)),
                [
                    vec!["Warm and dry.", "For every trail."],
                    vec!["Care: brush off mud."]
                ]
            );
        }
        // Text stored before normalisation reads the same.
        assert_eq!(paragraphs(typed), paragraphs(imported));
        assert!(paragraphs(" \n\n ").is_empty());
        assert_eq!(normalise_prose("  \r\n "), "");
    }
}
