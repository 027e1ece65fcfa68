//! The register-free half of the firmware's STM32L4R5 I2C1 driver
//! (targets/firmware/src/power/bus/stm32_i2c_plan.rs), compiled and tested on the host:
//! the phases and CR2 values each `embedded_hal` call becomes, ISR flags → error kinds,
//! recovery, TIMINGR, and the GPIO fields of the pins. The register half has never run on
//! hardware (docs/energy.md).

#[path = "../../targets/firmware/src/power/bus/stm32_i2c_plan.rs"]
#[allow(dead_code)]
mod stm32_i2c_plan;
#[path = "../../targets/firmware/src/power/bus/transfer.rs"]
mod transfer;

use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, NoAcknowledgeSource, Operation};
use stm32_i2c_plan::*;

/// A transaction's write and read phases.
type Phases = (Option<Phase>, Option<Phase>);

/// A bus that records each transaction's phases and answers reads with 0xA0, 0xA1, …
#[derive(Default)]
struct Recorder {
    phases: Vec<Result<Phases, ErrorKind>>,
}

impl ErrorType for Recorder {
    type Error = ErrorKind;
}

impl I2c for Recorder {
    fn transaction(&mut self, _: u8, ops: &mut [Operation<'_>]) -> Result<(), ErrorKind> {
        let plan = Plan::new(ops, PHASE_MAX, PHASE_MAX);
        self.phases
            .push(plan.map(|p| (p.write_phase(), p.read_phase())));
        plan?;
        let mut next = 0xA0u8;
        for op in ops.iter_mut() {
            if let Operation::Read(b) = op {
                for x in b.iter_mut() {
                    *x = next;
                    next += 1;
                }
            }
        }
        Ok(())
    }
}

const ADDR: u8 = 0x40;

#[test]
fn ina226_register_read_is_a_write_without_autoend_then_a_repeated_start_read() {
    let mut bus = Recorder::default();
    let mut b = [0u8; 2];
    bus.write_read(ADDR, &[0x01], &mut b).unwrap();
    let (w, r) = bus.phases[0].unwrap();
    let (w, r) = (w.unwrap(), r.unwrap());
    assert_eq!(
        w,
        Phase {
            read: false,
            nbytes: 1,
            autoend: false
        }
    );
    assert_eq!(
        r,
        Phase {
            read: true,
            nbytes: 2,
            autoend: true
        }
    );
    // CR2: SADD = 0x40 << 1, NBYTES, START; no AUTOEND on the write (TC, then the
    // repeated START), RD_WRN and AUTOEND on the read (STOP after the last byte).
    assert_eq!(w.cr2(ADDR), 0x80 | (1 << 16) | (1 << 13));
    assert_eq!(w.cr2(ADDR) & (CR2_AUTOEND | CR2_STOP | CR2_RD_WRN), 0);
    assert_eq!(w.end_flag(), ISR_TC);
    assert_eq!(
        r.cr2(ADDR),
        0x80 | (1 << 10) | (1 << 13) | (2 << 16) | (1 << 25)
    );
    assert_eq!(r.end_flag(), ISR_STOPF);
    assert_eq!(b, [0xA0, 0xA1]);
}

#[test]
fn plain_write_and_read_end_with_autoend_and_bad_shapes_are_errors() {
    let mut bus = Recorder::default();
    bus.write(ADDR, &[0x00, 0x40, 0x07]).unwrap();
    let (w, r) = bus.phases[0].unwrap();
    assert_eq!(r, None);
    let w = w.unwrap();
    assert!(w.autoend && !w.read && w.nbytes == 3);
    assert_eq!(w.end_flag(), ISR_STOPF);
    let mut b = [0u8; 2];
    bus.read(ADDR, &mut b).unwrap();
    let (w, r) = bus.phases[1].unwrap();
    assert_eq!(w, None);
    assert!(r.unwrap().autoend && r.unwrap().read);
    // Consecutive operations of one kind merge into one phase.
    let (mut r1, mut r2) = ([0u8; 1], [0u8; 2]);
    let mut ops = [
        Operation::Write(&[1, 2]),
        Operation::Write(&[3]),
        Operation::Read(&mut r1),
        Operation::Read(&mut r2),
    ];
    assert_eq!(
        Plan::new(&ops, PHASE_MAX, PHASE_MAX),
        Ok(Plan { tx: 3, rx: 3 })
    );
    bus.transaction(ADDR, &mut ops).unwrap();
    // Write after read, nothing, and more than NBYTES holds: refused, never half-done.
    let mut r = [0u8; 1];
    let e = bus.transaction(ADDR, &mut [Operation::Read(&mut r), Operation::Write(&[1])]);
    assert_eq!(e, Err(ErrorKind::Other));
    assert_eq!(bus.write(ADDR, &[]), Err(ErrorKind::Other));
    assert_eq!(bus.write(ADDR, &[0; PHASE_MAX + 1]), Err(ErrorKind::Other));
    assert!(bus.write(ADDR, &[0; PHASE_MAX]).is_ok());
    // A 10-bit-looking address keeps its 7 bits only.
    let p = Plan { tx: 1, rx: 0 }.write_phase().unwrap();
    assert_eq!(p.cr2(0xC0) & 0x3FF, 0x80);
}

#[test]
fn isr_flags_map_to_embedded_hal_kinds() {
    use NoAcknowledgeSource::{Address, Data};
    assert_eq!(isr_error(0, false, 0), None);
    assert_eq!(isr_error(ISR_TXIS | ISR_TC, false, 1), None);
    // A NACK before any byte went out is the address's; after one, a data byte's; a read
    // is NACKed only at its address.
    let nack = ErrorKind::NoAcknowledge;
    assert_eq!(isr_error(ISR_NACKF, false, 0), Some(nack(Address)));
    assert_eq!(isr_error(ISR_NACKF, false, 2), Some(nack(Data)));
    assert_eq!(isr_error(ISR_NACKF, true, 0), Some(nack(Address)));
    assert_eq!(isr_error(ISR_BERR, false, 0), Some(ErrorKind::Bus));
    assert_eq!(
        isr_error(ISR_ARLO | ISR_BERR | ISR_NACKF, false, 0),
        Some(ErrorKind::ArbitrationLoss)
    );
    assert_eq!(isr_error(ISR_OVR, true, 0), Some(ErrorKind::Overrun));
    // Errors win over the flag waited for.
    assert_eq!(step(ISR_TXIS, ISR_TXIS, false, 0), Step::Ready);
    assert_eq!(step(ISR_TC, ISR_TXIS, false, 0), Step::Wait);
    assert_eq!(
        step(ISR_TXIS | ISR_NACKF, ISR_TXIS, false, 1),
        Step::Failed(nack(Data))
    );
    assert_eq!(step(ISR_RXNE, ISR_RXNE, true, 0), Step::Ready);
}

#[test]
fn a_wait_that_runs_out_is_a_bus_error_and_resets_the_peripheral() {
    let t = Failure::Timeout;
    assert_eq!(t.kind(), ErrorKind::Bus);
    assert!(t.resets_peripheral() && !t.waits_for_stop());
    // A NACK: the master sends STOP by itself; wait for it, clear flags, no reset.
    let n = Failure::Flag(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address));
    assert!(n.waits_for_stop() && !n.resets_peripheral());
    assert_eq!(
        n.kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)
    );
    for k in [ErrorKind::Bus, ErrorKind::ArbitrationLoss] {
        let f = Failure::Flag(k);
        assert_eq!(f.kind(), k);
        assert!(!f.waits_for_stop() && !f.resets_peripheral());
    }
    // ICR clears NACK, STOP, BERR, ARLO and OVR among others.
    for bit in [ISR_NACKF, ISR_STOPF, ISR_BERR, ISR_ARLO, ISR_OVR] {
        assert_ne!(ICR_ALL & bit, 0, "{bit:#x}");
    }
    assert_eq!(ICR_ALL & (ISR_TXIS | ISR_RXNE | ISR_TC), 0);
}

#[test]
fn timingr_for_100_khz_matches_the_reference_manual() {
    // 4 MHz (MSI at reset): PRESC 0, SCLDEL 4, SDADEL 2, SCLH 0x0F, SCLL 0x13.
    assert_eq!(timingr_standard(4_000_000), Some(0x0042_0F13));
    // RM0432's example tables for standard mode at 8 and 16 MHz: the same counts with
    // PRESC 1 and 3 (tPRESC = 250 ns).
    assert_eq!(timingr_standard(8_000_000), Some(0x1042_0F13));
    assert_eq!(timingr_standard(16_000_000), Some(0x3042_0F13));
    // Every computed value meets the standard-mode minimums.
    for f in [
        2_000_000u32,
        3_000_000,
        4_000_000,
        10_000_000,
        48_000_000,
        64_000_000,
    ] {
        let t = timingr_standard(f).unwrap();
        let step_ns = f64::from((t >> 28) + 1) * 1e9 / f64::from(f);
        let low = f64::from((t & 0xFF) + 1) * step_ns;
        let high = f64::from(((t >> 8) & 0xFF) + 1) * step_ns;
        let setup = f64::from(((t >> 20) & 0xF) + 1) * step_ns;
        assert!(
            low >= 4700.0 && high >= 4000.0 && setup >= 1250.0,
            "{f}: {t:#x}"
        );
    }
    // Standard mode needs at least 2 MHz; PRESC has 4 bits.
    assert_eq!(timingr_standard(1_000_000), None);
    assert_eq!(timingr_standard(100_000_000), None);
}

#[test]
fn pins_map_to_their_gpio_fields_and_only_i2c1_pins_are_taken() {
    // PB8 (NUCLEO D15, SCL): AFRH, field 0; PB9 (D14, SDA): AFRH, field 1.
    let pb8 = gpio_fields((1, 8)).unwrap();
    assert_eq!(
        (pb8.port, pb8.pin, pb8.shift2, pb8.afr_high, pb8.afr_shift),
        (1, 8, 16, true, 0)
    );
    let pb9 = gpio_fields((1, 9)).unwrap();
    assert_eq!((pb9.shift2, pb9.afr_high, pb9.afr_shift), (18, true, 4));
    let pb6 = gpio_fields((1, 6)).unwrap();
    assert_eq!((pb6.shift2, pb6.afr_high, pb6.afr_shift), (12, false, 24));
    assert_eq!(gpio_fields((9, 0)), None);
    assert_eq!(gpio_fields((1, 16)), None);
    assert_eq!(rcc_ahb2enr_gpioen(1), 1 << 1);
    assert_eq!(RCC_APB1ENR1_I2C1EN, 1 << 21);
    assert_eq!((AF_I2C1, MODER_AF, PUPDR_UP), (4, 0b10, 0b01));
    assert!(i2c1_pins((1, 8), (1, 9)));
    assert!(i2c1_pins((1, 6), (1, 7)));
    assert!(!i2c1_pins((1, 9), (1, 8)), "swapped");
    assert!(!i2c1_pins((0, 8), (1, 9)), "PA8");
    assert!(!i2c1_pins((6, 14), (6, 13)), "PG14/PG13 need VDDIO2");
}
