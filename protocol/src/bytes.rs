//! A bounds-checked reader over a byte slice: every parser in the crate uses it, so no parser
//! indexes a slice directly and none can panic on short input.

/// The input ended before a field of `needed` bytes could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortInput {
    /// Bytes the field needed.
    pub needed: usize,
    /// Bytes that were left.
    pub available: usize,
}

/// Reads fields front to back.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading at the front of `input`.
    #[must_use]
    pub fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    /// Takes the next `len` bytes.
    ///
    /// # Errors
    /// [`ShortInput`] when fewer than `len` bytes are left; nothing is consumed then.
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], ShortInput> {
        let (head, tail) = self.rest.split_at_checked(len).ok_or(ShortInput {
            needed: len,
            available: self.rest.len(),
        })?;
        self.rest = tail;
        Ok(head)
    }

    /// Takes the next `N` bytes as an array.
    ///
    /// # Errors
    /// As [`Self::take`].
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], ShortInput> {
        let bytes = self.take(N)?;
        Ok(bytes.try_into().expect("take returned exactly N bytes"))
    }

    /// Takes one byte.
    ///
    /// # Errors
    /// As [`Self::take`].
    pub fn u8(&mut self) -> Result<u8, ShortInput> {
        Ok(u8::from_le_bytes(self.array()?))
    }

    /// Takes a little-endian `u16` (CONV-2).
    ///
    /// # Errors
    /// As [`Self::take`].
    pub fn u16_le(&mut self) -> Result<u16, ShortInput> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// Takes a little-endian `u32` (CONV-2).
    ///
    /// # Errors
    /// As [`Self::take`].
    pub fn u32_le(&mut self) -> Result<u32, ShortInput> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// Takes a little-endian `u64` (CONV-2).
    ///
    /// # Errors
    /// As [`Self::take`].
    pub fn u64_le(&mut self) -> Result<u64, ShortInput> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Takes everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// Bytes not yet read.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether everything has been read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_in_order_and_refuses_short_input() {
        let mut reader = Reader::new(&[1, 2, 0, 3, 4, 5]);
        assert_eq!(reader.u8().unwrap(), 1);
        assert_eq!(reader.u16_le().unwrap(), 2);
        assert_eq!(
            reader.u32_le().unwrap_err(),
            ShortInput { needed: 4, available: 3 }
        );
        assert_eq!(reader.rest(), &[3, 4, 5]);
        assert!(reader.is_empty());
    }
}
