//! Offer padding: every offer is padded to one fixed length before it is sealed, so that an
//! envelope's length says nothing about the offer inside it (not even how many digits its price
//! has).
//!
//! The scheme is ISO/IEC 7816-4's: the content, one `0x80` byte, then `0x00` bytes up to the
//! fixed length. It reads back unambiguously whatever the content holds: the content is
//! everything before the last non-zero byte, and that byte must be `0x80`.

/// The byte that ends the content.
const END_MARKER: u8 = 0x80;

/// Why content could not be padded or a padded block read back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PaddingError {
    /// The content leaves no room for the end marker.
    #[error("the offer has {bytes} bytes; at most {bytes_max} fit the padded length")]
    TooLong {
        /// The content's length.
        bytes: usize,
        /// The most the padded length holds.
        bytes_max: usize,
    },
    /// The block does not end in `0x80` followed only by zero bytes.
    #[error("the offer's padding is malformed")]
    Malformed,
}

/// `content`, the end marker, then zero bytes: exactly `padded_bytes` long.
pub(crate) fn pad(content: &[u8], padded_bytes: usize) -> Result<Vec<u8>, PaddingError> {
    if content.len() >= padded_bytes {
        return Err(PaddingError::TooLong {
            bytes: content.len(),
            bytes_max: padded_bytes.saturating_sub(1),
        });
    }
    let mut padded = Vec::with_capacity(padded_bytes);
    padded.extend_from_slice(content);
    padded.push(END_MARKER);
    padded.resize(padded_bytes, 0);
    debug_assert_eq!(padded.len(), padded_bytes);
    Ok(padded)
}

/// The content of a padded block: the bytes before its end marker.
pub(crate) fn unpad(mut padded: Vec<u8>) -> Result<Vec<u8>, PaddingError> {
    let marker = padded
        .iter()
        .rposition(|&byte| byte != 0)
        .ok_or(PaddingError::Malformed)?;
    if padded.get(marker) != Some(&END_MARKER) {
        return Err(PaddingError::Malformed);
    }
    padded.truncate(marker);
    Ok(padded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_of_every_length_pads_to_the_fixed_length_and_reads_back() {
        for length in 0..16u8 {
            let content: Vec<u8> = (0..length).collect();
            let padded = pad(&content, 16).unwrap();
            assert_eq!(padded.len(), 16);
            assert_eq!(padded.get(usize::from(length)), Some(&0x80));
            assert_eq!(unpad(padded).unwrap(), content);
        }
    }

    #[test]
    fn content_ending_in_the_marker_or_zeros_reads_back_exactly() {
        for content in [vec![0x80], vec![0x80, 0], vec![0, 0, 0], vec![7, 0x80, 0x80]] {
            assert_eq!(unpad(pad(&content, 8).unwrap()).unwrap(), content);
        }
    }

    #[test]
    fn content_with_no_room_for_the_marker_is_refused() {
        assert_eq!(
            pad(&[1; 16], 16),
            Err(PaddingError::TooLong {
                bytes: 16,
                bytes_max: 15
            })
        );
        assert!(pad(&[1; 15], 16).is_ok());
    }

    #[test]
    fn blocks_without_a_final_marker_are_refused() {
        for block in [vec![], vec![0; 8], vec![1, 2, 3, 0], vec![0x80, 0x81], vec![0x7f]] {
            assert_eq!(unpad(block.clone()), Err(PaddingError::Malformed), "{block:?}");
        }
    }
}
